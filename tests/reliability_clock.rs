//! Clock and time zones: nights around the changes to and from daylight saving time in
//! America/Montreal and across a year boundary give one and only one night each, and sign-ins
//! fall in the right local day.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::Montreal;
use vigie365::collect::night_of;
use vigie365::model::SignIn;
use vigie365::store::Store;

/// The instant of a nightly run at `hh:mm` local time on `date` (the earliest reading if
/// the local time happens twice, the next valid one if it does not exist).
fn local(date: NaiveDate, hh: u32, mm: u32) -> chrono::DateTime<Utc> {
    let naive = date.and_hms_opt(hh, mm, 0).expect("time");
    match Montreal.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => Montreal
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .expect("after the gap")
            .with_timezone(&Utc),
    }
}

fn nights(from: NaiveDate, days: i64, hh: u32, mm: u32) -> Vec<NaiveDate> {
    (0..days)
        .map(|d| night_of(local(from + chrono::Duration::days(d), hh, mm), Montreal))
        .collect()
}

#[test]
fn one_night_per_day_across_dst_changes_and_the_new_year() {
    // 2026-03-08: clocks jump from 02:00 to 03:00; 2026-11-01: from 02:00 back to 01:00.
    for (start, label) in [
        (NaiveDate::from_ymd_opt(2026, 3, 5), "printemps"),
        (NaiveDate::from_ymd_opt(2026, 10, 29), "automne"),
        (NaiveDate::from_ymd_opt(2026, 12, 29), "nouvel an"),
    ] {
        let start = start.expect("date");
        // Runs at 02:30 (a time that does not exist, or exists twice, on the change days)
        // and at 03:00.
        for (hh, mm) in [(2, 30), (3, 0), (1, 30)] {
            let n = nights(start, 7, hh, mm);
            for (i, w) in n.windows(2).enumerate() {
                assert_eq!(
                    w[1] - w[0],
                    chrono::Duration::days(1),
                    "{label} {hh}:{mm}: nights {i} and {} are {:?}",
                    i + 1,
                    w
                );
            }
            assert_eq!(
                n[0],
                start - chrono::Duration::days(1),
                "{label}: a run audits the day before"
            );
        }
    }
}

#[test]
fn sign_ins_fall_in_their_local_day_on_change_days() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = Store::open(&dir.path().join("v.sqlite")).expect("store");
    let run = s
        .begin_run(Utc::now(), NaiveDate::from_ymd_opt(2026, 11, 1).expect("d"))
        .expect("run");
    let at = |y, m, d, h, mi| {
        Utc.with_ymd_and_hms(y, m, d, h, mi, 0)
            .single()
            .expect("instant")
    };
    let si = |id: &str, t| SignIn {
        id: id.into(),
        created: t,
        user_id: "u".into(),
        upn: "u@x".into(),
        app_id: String::new(),
        app_name: "Microsoft Teams".into(),
        ip: None,
        client_app: None,
        interactive: true,
        auth_requirement: None,
        error_code: 0,
        os: None,
        browser: None,
        device: Default::default(),
    };
    let batch = vec![
        // 2026-11-01 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC): the same local hour twice.
        si("a", at(2026, 11, 1, 5, 30)),
        si("b", at(2026, 11, 1, 6, 30)),
        // 2026-11-01 23:30 EST = 2026-11-02 04:30 UTC: still November 1st locally.
        si("c", at(2026, 11, 2, 4, 30)),
        // 2026-12-31 23:59 EST = 2027-01-01 04:59 UTC: still 2026 locally.
        si("d", at(2027, 1, 1, 4, 59)),
        // 2026-03-08 03:30 EDT (07:30 UTC), just after the spring gap.
        si("e", at(2026, 3, 8, 7, 30)),
    ];
    assert_eq!(s.write_signins(run, Montreal, &batch).expect("write"), 5);
    let days: Vec<(String, i64)> = s
        .conn()
        .prepare("SELECT day, interactive FROM signin_daily ORDER BY day")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        days,
        vec![
            ("2026-03-08".to_string(), 1),
            ("2026-11-01".to_string(), 3),
            ("2026-12-31".to_string(), 1)
        ]
    );
}
