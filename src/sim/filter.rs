//! A small OData `$filter` parser: enough of the grammar to read what Graph accepts on the
//! endpoints the simulator serves, and to reject the rest with a 400 like Graph does.

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bool(bool),
    Raw(String),
    Null,
}

/// Filter expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        path: String,
        op: String,
        value: Lit,
    },
    In {
        path: String,
        values: Vec<Lit>,
    },
    Any {
        path: String,
        var: String,
        cond: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Raw(String),
    LParen,
    RParen,
    Comma,
    Colon,
    Slash,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if ch == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if ch == ',' {
            out.push(Tok::Comma);
            i += 1;
        } else if ch == ':' {
            out.push(Tok::Colon);
            i += 1;
        } else if ch == '/' {
            out.push(Tok::Slash);
            i += 1;
        } else if ch == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                if i >= c.len() {
                    return Err("unterminated string literal".into());
                }
                if c[i] == '\'' {
                    if i + 1 < c.len() && c[i + 1] == '\'' {
                        v.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Str(v));
        } else if ch.is_ascii_digit() || ch == '-' {
            let mut v = String::new();
            while i < c.len()
                && (c[i].is_ascii_alphanumeric() || matches!(c[i], '-' | ':' | '.' | '+'))
            {
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Raw(v));
        } else if ch.is_alphabetic() || ch == '_' || ch == '@' || ch == '$' {
            let mut v = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || matches!(c[i], '_' | '.' | '@' | '$')) {
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Ident(v));
        } else {
            return Err(format!(
                "syntax error: character '{}' at position {}",
                ch, i
            ));
        }
    }
    Ok(out)
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(k))
    }
    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected {:?}, found {:?}", t, other)),
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.and()?];
        while self.kw("or") {
            self.i += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.unary()?];
        while self.kw("and") {
            self.i += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.kw("not") {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.i += 1;
            let e = self.expr()?;
            self.expect(Tok::RParen)?;
            return Ok(e);
        }
        let mut path = match self.next() {
            Some(Tok::Ident(s)) => s,
            other => return Err(format!("expected a property, found {:?}", other)),
        };
        while self.peek() == Some(&Tok::Slash) {
            self.i += 1;
            match self.next() {
                Some(Tok::Ident(s))
                    if s.eq_ignore_ascii_case("any") || s.eq_ignore_ascii_case("all") =>
                {
                    let lambda = s.to_lowercase();
                    self.expect(Tok::LParen)?;
                    let var = match self.next() {
                        Some(Tok::Ident(v)) => v,
                        other => {
                            return Err(format!("expected a lambda variable, found {:?}", other));
                        }
                    };
                    self.expect(Tok::Colon)?;
                    let cond = self.expr()?;
                    self.expect(Tok::RParen)?;
                    if lambda == "all" {
                        return Err("'all' is not supported".into());
                    }
                    return Ok(Expr::Any {
                        path,
                        var,
                        cond: Box::new(cond),
                    });
                }
                Some(Tok::Ident(s)) => {
                    path.push('/');
                    path.push_str(&s);
                }
                other => return Err(format!("expected a property, found {:?}", other)),
            }
        }
        if self.peek() == Some(&Tok::LParen) {
            return Err(format!("function '{}' is not supported", path));
        }
        let op = match self.next() {
            Some(Tok::Ident(o)) => o.to_lowercase(),
            other => return Err(format!("expected an operator, found {:?}", other)),
        };
        if op == "in" {
            self.expect(Tok::LParen)?;
            let mut values = Vec::new();
            loop {
                values.push(self.value()?);
                match self.next() {
                    Some(Tok::Comma) => continue,
                    Some(Tok::RParen) => break,
                    other => return Err(format!("expected ',' or ')', found {:?}", other)),
                }
            }
            return Ok(Expr::In { path, values });
        }
        if !matches!(op.as_str(), "eq" | "ne" | "gt" | "ge" | "lt" | "le") {
            return Err(format!("unknown operator '{}'", op));
        }
        let value = self.value()?;
        Ok(Expr::Cmp { path, op, value })
    }
    fn value(&mut self) -> Result<Lit, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Raw(s)) => Ok(Lit::Raw(s)),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("true") => Ok(Lit::Bool(true)),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("false") => Ok(Lit::Bool(false)),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("null") => Ok(Lit::Null),
            Some(Tok::Ident(s)) => Ok(Lit::Raw(s)),
            other => Err(format!("expected a value, found {:?}", other)),
        }
    }
}

/// Parses a `$filter` expression.
pub(crate) fn parse(s: &str) -> Result<Expr, String> {
    let t = lex(s)?;
    if t.is_empty() {
        return Err("empty filter".into());
    }
    let mut p = P { t, i: 0 };
    let e = p.expr()?;
    if p.i != p.t.len() {
        return Err(format!("unexpected token {:?}", p.peek()));
    }
    Ok(e)
}

/// The top-level conjuncts of an expression.
pub(crate) fn conjuncts(e: Expr) -> Vec<Expr> {
    match e {
        Expr::And(v) => v.into_iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

/// `a eq 'x' or a eq 'y' ...` on the given fields → (field, value) pairs.
pub(crate) fn eq_disjunction(e: &Expr, fields: &[&str]) -> Option<Vec<(String, String)>> {
    match e {
        Expr::Cmp {
            path,
            op,
            value: Lit::Str(v),
        } if op == "eq" && fields.iter().any(|f| f.eq_ignore_ascii_case(path)) => {
            Some(vec![(path.to_lowercase(), v.clone())])
        }
        Expr::Or(v) => {
            let mut out = Vec::new();
            for x in v {
                out.extend(eq_disjunction(x, fields)?);
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sign_in_filter() {
        let f = "createdDateTime ge 2026-01-01T08:00:00Z and createdDateTime lt 2026-01-02T08:00:00.000Z and (userId eq 'a' or userId eq 'b''c') and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')";
        let c = conjuncts(parse(f).unwrap_or(Expr::And(vec![])));
        assert_eq!(c.len(), 4);
        assert_eq!(
            eq_disjunction(&c[2], &["userId"]),
            Some(vec![
                ("userid".into(), "a".into()),
                ("userid".into(), "b'c".into())
            ])
        );
        assert!(matches!(&c[3], Expr::Any { path, .. } if path == "signInEventTypes"));
        assert!(parse("id in ('x', 'y')").is_ok());
        assert!(parse("startswith(displayName,'a')").is_err());
        assert!(parse("createdDateTime ge").is_err());
        assert!(parse("(a eq 'x'").is_err());
    }
}
