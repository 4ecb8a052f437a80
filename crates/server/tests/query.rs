//! The filter language: parsing, semantic errors, and compilation to SQL with every user
//! value bound as a parameter.

use drydock_server::query::{Compiler, Expr, Op, Param, Value, like_pattern, parse};

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn compile(s: &str) -> (String, Vec<Param>) {
    let e = parse(s).unwrap().unwrap();
    let mut c = Compiler::new(3, NOW);
    let sql = c.compile(&e);
    (sql, c.into_params())
}

#[test]
fn the_issue_example_parses_with_and_binding_tighter_than_or() {
    let e = parse("severity >= high and age > 30d and fixable and namespace = prod and kev")
        .unwrap()
        .unwrap();
    // left-folded ANDs: (((a and b) and c) and d) and e
    let Expr::And(l, r) = &e else { panic!("{e:?}") };
    assert_eq!(**r, Expr::Flag("kev".into()));
    let Expr::And(_, ns) = &**l else { panic!() };
    assert_eq!(
        **ns,
        Expr::Cmp("namespace".into(), Op::Eq, Value::Text("prod".into()))
    );
    let e = parse("kev or fixable and severity = critical")
        .unwrap()
        .unwrap();
    assert!(matches!(e, Expr::Or(_, ref r) if matches!(**r, Expr::And(_, _))));
    let e = parse("NOT (kev Or fixable)").unwrap().unwrap();
    assert!(matches!(e, Expr::Not(ref i) if matches!(**i, Expr::Or(_, _))));
}

#[test]
fn values_durations_dates_numbers_quoted() {
    let e = parse("age > 30d").unwrap().unwrap();
    assert_eq!(
        e,
        Expr::Cmp("age".into(), Op::Gt, Value::Duration(30 * 86_400))
    );
    let e = parse("first_seen >= 2026-01-31").unwrap().unwrap();
    assert_eq!(
        e,
        Expr::Cmp("first_seen".into(), Op::Ge, Value::Date(1_769_817_600))
    );
    let e = parse("cvss>=9.8").unwrap().unwrap();
    assert_eq!(e, Expr::Cmp("cvss".into(), Op::Ge, Value::Number(9.8)));
    let e = parse(r#"package = "open ssl\"x""#).unwrap().unwrap();
    assert_eq!(
        e,
        Expr::Cmp("package".into(), Op::Eq, Value::Text("open ssl\"x".into()))
    );
    let e = parse("image = registry.example:5000/team/app:1.2")
        .unwrap()
        .unwrap();
    assert_eq!(
        e,
        Expr::Cmp(
            "image".into(),
            Op::Eq,
            Value::Text("registry.example:5000/team/app:1.2".into())
        )
    );
    assert_eq!(parse("   ").unwrap(), None);
}

#[test]
fn errors_name_the_problem() {
    let err = |s: &str| parse(s).unwrap_err().to_string();
    assert!(
        err("severity >= urgent").contains("expected a severity"),
        "{}",
        err("severity >= urgent")
    );
    assert!(err("colour = red").contains("unknown field \"colour\""));
    assert!(err("package").contains("needs a comparison"));
    assert!(err("cvss > high").contains("expected a number"));
    assert!(
        err("severity >= high and").contains("cannot parse")
            || err("severity >= high and").contains("unexpected end")
    );
    assert!(err("(kev").contains("cannot parse") || err("(kev").contains("unexpected end"));
    assert!(err("age > soon").contains("duration"));
    assert!(err("package > a").contains("text fields compare"));
}

#[test]
fn user_text_is_only_ever_a_bound_parameter() {
    let evil = "x' OR 1=1; DROP TABLE findings; --";
    let (sql, params) = compile(&format!(
        "package = \"{}\" or image ~ \"{}\"",
        evil.replace('"', "\\\""),
        evil
    ));
    assert!(!sql.contains("DROP"), "{sql}");
    assert!(!sql.contains("1=1"), "{sql}");
    assert!(!sql.contains("x'"), "{sql}");
    assert_eq!(params[0], Param::Text(evil.into()));
    assert!(params.contains(&Param::Text(like_pattern(evil))));
}

#[test]
fn compiled_sql_and_params() {
    let (sql, p) = compile("severity >= high and fixable");
    assert_eq!(sql, "(f.severity_rank >= $3 AND f.fixable = 1)");
    assert_eq!(p, vec![Param::Int(4)]);
    let (sql, p) = compile("age > 30d");
    assert_eq!(sql, "(f.published IS NOT NULL AND ($3 - f.published) > $4)");
    assert_eq!(p, vec![Param::Int(NOW), Param::Int(30 * 86_400)]);
    let (sql, p) = compile("namespace != prod");
    assert!(
        sql.starts_with("(NOT EXISTS (SELECT 1 FROM runtime r WHERE r.org_id = f.org_id"),
        "{sql}"
    );
    assert_eq!(p, vec![Param::Text("prod".into())]);
    let (sql, p) = compile("sla_breached");
    assert_eq!(
        sql,
        "(f.sla_due IS NOT NULL AND COALESCE(f.fixed_at, $3) > f.sla_due)"
    );
    assert_eq!(p, vec![Param::Int(NOW)]);
    let (sql, _) = compile("kev = false");
    assert_eq!(sql, "(NOT f.kev = 1)");
    let (_, p) = compile("id ~ CVE-2024-*");
    assert_eq!(p, vec![Param::Text("CVE-2024-%".into())]);
    let (_, p) = compile("package ~ ssl_");
    assert_eq!(p, vec![Param::Text("%ssl\\_%".into())]);
}
