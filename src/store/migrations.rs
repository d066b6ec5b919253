//! Versioned schema. Each migration runs once, in order, inside a transaction; the version
//! reached is kept in SQLite's `user_version`. Never edit a released migration: add one.

pub const MIGRATIONS: &[&str] = &[
    // 1: runs, coverage per source, versioned records, sign-ins, watermarks.
    r#"
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        started_at    TEXT NOT NULL,
        as_of         TEXT NOT NULL,
        night         TEXT NOT NULL,
        ended_at      TEXT,
        status        TEXT NOT NULL CHECK (status IN ('running','complete','partial','failed','interrupted')),
        tool_version  TEXT NOT NULL,
        error         TEXT
    );
    CREATE INDEX runs_night ON runs(night);

    CREATE TABLE run_sources (
        run_id      INTEGER NOT NULL REFERENCES runs(id),
        source      TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('running','collected','not_collected','failed')),
        reason      TEXT,
        permission  TEXT,
        records     INTEGER NOT NULL DEFAULT 0,
        pages       INTEGER NOT NULL DEFAULT 0,
        started_at  TEXT,
        ended_at    TEXT,
        PRIMARY KEY (run_id, source)
    );

    -- Every collected record, versioned: a version is true from run `valid_from` until the
    -- run `valid_to` that saw it change or vanish (NULL: still true). `seen_run` is the last
    -- run that read it. A killed run leaves versions that earlier runs never see.
    CREATE TABLE versions (
        kind        TEXT NOT NULL,
        key         TEXT NOT NULL,
        data        TEXT NOT NULL,
        valid_from  INTEGER NOT NULL,
        valid_to    INTEGER,
        seen_run    INTEGER NOT NULL,
        PRIMARY KEY (kind, key, valid_from)
    ) WITHOUT ROWID;
    CREATE INDEX versions_current ON versions(kind, key) WHERE valid_to IS NULL;
    CREATE INDEX versions_to ON versions(valid_to) WHERE valid_to IS NOT NULL;

    -- Raw sign-ins of the accounts in scope, kept as evidence for a configured number of days.
    CREATE TABLE signins (
        id       TEXT PRIMARY KEY,
        user_id  TEXT NOT NULL,
        created  TEXT NOT NULL,
        day      TEXT NOT NULL,
        run_id   INTEGER NOT NULL,
        data     TEXT NOT NULL
    );
    CREATE INDEX signins_user_created ON signins(user_id, created);
    CREATE INDEX signins_created ON signins(created);

    -- Daily aggregates per account in scope and local day: what the year keeps.
    CREATE TABLE signin_daily (
        user_id          TEXT NOT NULL,
        day              TEXT NOT NULL,
        interactive      INTEGER NOT NULL DEFAULT 0,
        non_interactive  INTEGER NOT NULL DEFAULT 0,
        single_factor    INTEGER NOT NULL DEFAULT 0,
        multi_factor     INTEGER NOT NULL DEFAULT 0,
        failures         INTEGER NOT NULL DEFAULT 0,
        apps             TEXT NOT NULL DEFAULT '{}',
        ips              TEXT NOT NULL DEFAULT '{}',
        first            TEXT NOT NULL,
        last             TEXT NOT NULL,
        PRIMARY KEY (user_id, day)
    ) WITHOUT ROWID;

    CREATE TABLE watermarks (
        name    TEXT PRIMARY KEY,
        value   TEXT NOT NULL,
        run_id  INTEGER NOT NULL
    );
    "#,
    // 2: evaluations, findings and their lifecycle, posture figures per night.
    r#"
    CREATE TABLE evaluations (
        run_id         INTEGER PRIMARY KEY REFERENCES runs(id),
        night          TEXT NOT NULL,
        as_of          TEXT NOT NULL,
        evaluated_at   TEXT NOT NULL,
        not_evaluated  TEXT NOT NULL DEFAULT '[]'
    );

    -- What each evaluated night found: the findings open that night, as they were.
    CREATE TABLE finding_nights (
        run_id      INTEGER NOT NULL REFERENCES runs(id),
        check_id    TEXT NOT NULL,
        subject     TEXT NOT NULL,
        severity    TEXT NOT NULL,
        population  TEXT NOT NULL,
        accepted    INTEGER NOT NULL,
        data        TEXT NOT NULL,
        PRIMARY KEY (run_id, check_id, subject)
    ) WITHOUT ROWID;

    -- Lifecycle events: new, resolved, reopened. The current state of a finding is its
    -- latest event; "as of" a date, its latest event up to that date.
    CREATE TABLE finding_events (
        run_id    INTEGER NOT NULL REFERENCES runs(id),
        night     TEXT NOT NULL,
        check_id  TEXT NOT NULL,
        subject   TEXT NOT NULL,
        event     TEXT NOT NULL CHECK (event IN ('new','resolved','reopened')),
        PRIMARY KEY (run_id, check_id, subject)
    ) WITHOUT ROWID;
    CREATE INDEX finding_events_subject ON finding_events(check_id, subject, run_id);

    CREATE TABLE posture (
        run_id      INTEGER NOT NULL REFERENCES runs(id),
        night       TEXT NOT NULL,
        population  TEXT NOT NULL,
        class       TEXT NOT NULL,
        metric      TEXT NOT NULL,
        value       INTEGER NOT NULL,
        PRIMARY KEY (run_id, population, class, metric)
    ) WITHOUT ROWID;
    "#,
    // 3: which accounts in scope had their sign-ins read, and up to when. An account whose
    // `read_to` is older than the sign-ins watermark (entered the scope, or came back to it)
    // has its history read again from the first night's horizon. An existing store knows
    // its accounts already: those with sign-ins in the store, and those whose last sign-in
    // activity is current (in scope, idle), count as read up to the watermark. (One that
    // left the scope and comes back on the very first night after this migration is not
    // read again; the first complete night forgets the others.)
    r#"
    CREATE TABLE signin_accounts (
        user_id  TEXT PRIMARY KEY,
        read_to  TEXT NOT NULL,
        run_id   INTEGER NOT NULL
    ) WITHOUT ROWID;

    INSERT INTO signin_accounts (user_id, read_to, run_id)
    SELECT known.user_id, w.value, w.run_id
    FROM (SELECT user_id FROM signins
          UNION SELECT key FROM versions WHERE kind = 'activity' AND valid_to IS NULL) AS known
    JOIN watermarks AS w ON w.name = 'sign-ins';
    "#,
    // 4: read-only views in French for an administrator who queries the base directly
    // (`sqlite3 -readonly vigie365.sqlite 'SELECT * FROM comptes'`): the current records of
    // the generic `versions` table as columns, and the findings of the latest evaluated night.
    r#"
    CREATE VIEW comptes AS
    SELECT key AS id,
           json_extract(data, '$.upn') AS upn,
           json_extract(data, '$.display_name') AS nom,
           json_extract(data, '$.enabled') AS actif,
           json_extract(data, '$.guest') AS invite,
           json_extract(data, '$.employee_type') AS type_employe,
           json_extract(data, '$.created') AS cree,
           json_extract(data, '$.last_password_change') AS mot_de_passe_change,
           valid_from AS depuis_collecte
    FROM versions WHERE kind = 'account' AND valid_to IS NULL;

    CREATE VIEW inscriptions_mfa AS
    SELECT key AS id,
           json_extract(data, '$.upn') AS upn,
           json_extract(data, '$.mfa_registered') AS mfa_enregistree,
           json_extract(data, '$.mfa_capable') AS mfa_capable,
           json_extract(data, '$.methods') AS methodes
    FROM versions WHERE kind = 'registration' AND valid_to IS NULL;

    CREATE VIEW redirections_de_boite AS
    SELECT json_extract(data, '$.upn') AS upn,
           json_extract(data, '$.user_id') AS id,
           json_extract(data, '$.kind') AS type,
           json_extract(data, '$.forwarding_smtp') AS forwarding_smtp_address,
           json_extract(data, '$.forwarding_address') AS forwarding_address,
           json_extract(data, '$.deliver_and_forward') AS copie_conservee
    FROM versions WHERE kind = 'mailbox' AND valid_to IS NULL
      AND (coalesce(json_extract(data, '$.forwarding_smtp'), '') <> ''
           OR coalesce(json_extract(data, '$.forwarding_address'), '') <> '');

    CREATE VIEW regles_de_redirection AS
    SELECT json_extract(data, '$.mailbox_upn') AS boite,
           json_extract(data, '$.mailbox_user_id') AS id,
           json_extract(data, '$.name') AS nom,
           json_extract(data, '$.enabled') AS activee,
           json_extract(data, '$.targets') AS cibles
    FROM versions WHERE kind = 'inbox_rule' AND valid_to IS NULL;

    CREATE VIEW derniere_connexion AS
    SELECT key AS id,
           json_extract(data, '$.last_interactive') AS interactive,
           json_extract(data, '$.last_non_interactive') AS non_interactive,
           json_extract(data, '$.last_successful') AS reussie
    FROM versions WHERE kind = 'activity' AND valid_to IS NULL;

    CREATE VIEW constats_derniere_nuit AS
    SELECT e.night AS nuit, f.check_id AS controle, f.subject AS sujet,
           f.severity AS gravite, f.population, f.accepted AS accepte,
           json_extract(f.data, '$.evidence') AS preuve
    FROM finding_nights AS f
    JOIN evaluations AS e ON e.run_id = f.run_id
    WHERE f.run_id = (SELECT max(run_id) FROM evaluations);
    "#,
    // 5: an event finding (RULES.md, "Events and states") that is no longer seen ends
    // ('ended'): it is never 'resolved', a fix. SQLite cannot change a CHECK constraint in
    // place: the table is rebuilt, its rows kept.
    r#"
    CREATE TABLE finding_events_v5 (
        run_id    INTEGER NOT NULL REFERENCES runs(id),
        night     TEXT NOT NULL,
        check_id  TEXT NOT NULL,
        subject   TEXT NOT NULL,
        event     TEXT NOT NULL CHECK (event IN ('new','resolved','reopened','ended')),
        PRIMARY KEY (run_id, check_id, subject)
    ) WITHOUT ROWID;
    INSERT INTO finding_events_v5 (run_id, night, check_id, subject, event)
        SELECT run_id, night, check_id, subject, event FROM finding_events;
    DROP TABLE finding_events;
    ALTER TABLE finding_events_v5 RENAME TO finding_events;
    CREATE INDEX finding_events_subject ON finding_events(check_id, subject, run_id);
    "#,
    // 6: what a check judged by evidence could not judge that night, subject by subject
    // (a mailbox, or '' when a whole kind of evidence is missing), with the reason: the
    // nightly files show these « évalué en partie » rows, not only the check's id.
    r#"
    CREATE TABLE partial_evaluations (
        run_id    INTEGER NOT NULL REFERENCES runs(id),
        check_id  TEXT NOT NULL,
        subject   TEXT NOT NULL,
        reason    TEXT NOT NULL,
        PRIMARY KEY (run_id, check_id, subject, reason)
    ) WITHOUT ROWID;
    "#,
    // 7: provincial mode. One collection (runs, run_sources, versions, sign-ins: shared) is
    // evaluated for several establishments of one tenant: every evaluation-level table gets
    // an `etablissement` column, part of its primary key, so that each establishment's
    // evaluations, findings, lifecycle, posture and parts left out are kept apart. The rows
    // of an existing base are the establishment '' (a single-establishment base keeps its
    // history, unchanged in meaning). SQLite cannot change a primary key in place: each
    // table is rebuilt, its rows kept. The view over the latest findings refers to two of
    // them: it is dropped first (a rename checks the views) and recreated after, one latest
    // evaluated night per establishment.
    r#"
    DROP VIEW constats_derniere_nuit;

    CREATE TABLE evaluations_v7 (
        etablissement  TEXT NOT NULL DEFAULT '',
        run_id         INTEGER NOT NULL REFERENCES runs(id),
        night          TEXT NOT NULL,
        as_of          TEXT NOT NULL,
        evaluated_at   TEXT NOT NULL,
        not_evaluated  TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (etablissement, run_id)
    );
    INSERT INTO evaluations_v7 (etablissement, run_id, night, as_of, evaluated_at, not_evaluated)
        SELECT '', run_id, night, as_of, evaluated_at, not_evaluated FROM evaluations;
    DROP TABLE evaluations;
    ALTER TABLE evaluations_v7 RENAME TO evaluations;

    CREATE TABLE finding_nights_v7 (
        etablissement  TEXT NOT NULL DEFAULT '',
        run_id         INTEGER NOT NULL REFERENCES runs(id),
        check_id       TEXT NOT NULL,
        subject        TEXT NOT NULL,
        severity       TEXT NOT NULL,
        population     TEXT NOT NULL,
        accepted       INTEGER NOT NULL,
        data           TEXT NOT NULL,
        PRIMARY KEY (etablissement, run_id, check_id, subject)
    ) WITHOUT ROWID;
    INSERT INTO finding_nights_v7 (etablissement, run_id, check_id, subject, severity, population, accepted, data)
        SELECT '', run_id, check_id, subject, severity, population, accepted, data FROM finding_nights;
    DROP TABLE finding_nights;
    ALTER TABLE finding_nights_v7 RENAME TO finding_nights;

    CREATE TABLE finding_events_v7 (
        etablissement  TEXT NOT NULL DEFAULT '',
        run_id         INTEGER NOT NULL REFERENCES runs(id),
        night          TEXT NOT NULL,
        check_id       TEXT NOT NULL,
        subject        TEXT NOT NULL,
        event          TEXT NOT NULL CHECK (event IN ('new','resolved','reopened','ended')),
        PRIMARY KEY (etablissement, run_id, check_id, subject)
    ) WITHOUT ROWID;
    INSERT INTO finding_events_v7 (etablissement, run_id, night, check_id, subject, event)
        SELECT '', run_id, night, check_id, subject, event FROM finding_events;
    DROP TABLE finding_events;
    ALTER TABLE finding_events_v7 RENAME TO finding_events;
    CREATE INDEX finding_events_subject ON finding_events(etablissement, check_id, subject, run_id);

    CREATE TABLE posture_v7 (
        etablissement  TEXT NOT NULL DEFAULT '',
        run_id         INTEGER NOT NULL REFERENCES runs(id),
        night          TEXT NOT NULL,
        population     TEXT NOT NULL,
        class          TEXT NOT NULL,
        metric         TEXT NOT NULL,
        value          INTEGER NOT NULL,
        PRIMARY KEY (etablissement, run_id, population, class, metric)
    ) WITHOUT ROWID;
    INSERT INTO posture_v7 (etablissement, run_id, night, population, class, metric, value)
        SELECT '', run_id, night, population, class, metric, value FROM posture;
    DROP TABLE posture;
    ALTER TABLE posture_v7 RENAME TO posture;

    CREATE TABLE partial_evaluations_v7 (
        etablissement  TEXT NOT NULL DEFAULT '',
        run_id         INTEGER NOT NULL REFERENCES runs(id),
        check_id       TEXT NOT NULL,
        subject        TEXT NOT NULL,
        reason         TEXT NOT NULL,
        PRIMARY KEY (etablissement, run_id, check_id, subject, reason)
    ) WITHOUT ROWID;
    INSERT INTO partial_evaluations_v7 (etablissement, run_id, check_id, subject, reason)
        SELECT '', run_id, check_id, subject, reason FROM partial_evaluations;
    DROP TABLE partial_evaluations;
    ALTER TABLE partial_evaluations_v7 RENAME TO partial_evaluations;

    CREATE VIEW constats_derniere_nuit AS
    SELECT f.etablissement, e.night AS nuit, f.check_id AS controle, f.subject AS sujet,
           f.severity AS gravite, f.population, f.accepted AS accepte,
           json_extract(f.data, '$.evidence') AS preuve
    FROM finding_nights AS f
    JOIN evaluations AS e ON e.etablissement = f.etablissement AND e.run_id = f.run_id
    WHERE f.run_id = (SELECT max(l.run_id) FROM evaluations AS l
                      WHERE l.etablissement = f.etablissement);
    "#,
];
