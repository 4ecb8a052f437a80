//! The finding filter language: `severity >= high and age > 30d and fixable and
//! namespace = prod and kev`.
//!
//! Parsed with `winnow` combinators into an [`Expr`], then compiled to a SQL boolean expression
//! over `findings f JOIN images i` whose every user value is a bound parameter ([`Param`]):
//! no user text is ever spliced into SQL. The grammar and fields are documented in
//! `docs/server.md`.
//!
//! ```text
//! expr       := and_expr ( "or" and_expr )*
//! and_expr   := unary ( "and" unary )*
//! unary      := "not" unary | "(" expr ")" | field [ op value ]
//! op         := "=" | "!=" | ">=" | "<=" | ">" | "<" | "~"
//! value      := quoted string | duration (30d, 24h, 2w) | date (2026-01-31) | number | word
//! ```

use winnow::Result as PResult;
use winnow::ascii::multispace0;
use winnow::combinator::{alt, delimited, opt, preceded, repeat};
use winnow::prelude::*;
use winnow::token::{one_of, take_while};

use crate::error::{Error, Result};

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `field op value`
    Cmp(String, Op, Value),
    /// A bare boolean field: `fixable`, `kev`, `sla_breached`.
    Flag(String),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~`: glob (`*`, `?`) or, without glob characters, "contains"; case-insensitive.
    Like,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Like => "LIKE",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Like => "~",
        }
    }
}

/// A literal on the right of an operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string or a bare word (`high`, `prod`, `CVE-2024-1234`, `alpine:3.20`).
    Text(String),
    Number(f64),
    /// A duration in seconds (`30d`, `24h`, `2w`).
    Duration(i64),
    /// A calendar date, as unix seconds at 00:00 UTC.
    Date(i64),
}

/// The fields of the language (also listed by the API's `/api/v1/query/fields`).
pub const FIELDS: &[(&str, &str)] = &[
    ("id", "vulnerability id (text; `~` globs)"),
    (
        "severity",
        "critical > high > medium > low > negligible > unknown",
    ),
    ("cvss", "highest CVSS base score any source gives (number)"),
    ("epss", "EPSS probability 0..1 (number; empty when unknown)"),
    ("kev", "listed in CISA KEV (flag)"),
    ("package", "package name (text)"),
    ("ecosystem", "alpine, debian, pypi, npm, go, ... (text)"),
    ("image", "repo, repo:tag or digest (text)"),
    ("repo", "image repository (text)"),
    ("tag", "image tag (text)"),
    (
        "namespace",
        "Kubernetes namespace the image runs in (text; runtime inventory)",
    ),
    (
        "cluster",
        "Kubernetes cluster the image runs in (text; runtime inventory)",
    ),
    ("fixable", "a fixed version exists (flag)"),
    ("age", "time since the CVE was published (duration)"),
    (
        "first_seen",
        "when the finding was first seen (duration ago, or date)",
    ),
    (
        "sla_due",
        "SLA deadline (duration from now, negative when overdue, or date)",
    ),
    ("sla_breached", "open past its SLA deadline (flag)"),
];

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Real(f64),
    Text(String),
}

/// Parse a filter expression. An empty (or all-blank) string is `None`: no filter.
pub fn parse(input: &str) -> Result<Option<Expr>> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    if input.len() > 4096 {
        return Err(Error::Query(
            "the query is longer than 4096 characters".into(),
        ));
    }
    let parsed = delimited(multispace0, expr, multispace0)
        .parse(input)
        .map_err(|e| {
            let at = e.offset();
            let rest: String = input[at..].chars().take(24).collect();
            Error::Query(if rest.is_empty() {
                format!("unexpected end of query at character {at}")
            } else {
                format!("cannot parse the query at character {at}: {rest:?}")
            })
        })?;
    check(&parsed)?;
    Ok(Some(parsed))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ident<'i>(input: &mut &'i str) -> PResult<&'i str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., is_ident),
    )
        .take()
        .parse_next(input)
}

/// A keyword as a whole word, case-insensitive.
fn keyword<'i>(kw: &'static str) -> impl Parser<&'i str, &'i str, winnow::error::ContextError> {
    ident.verify(move |w: &str| w.eq_ignore_ascii_case(kw))
}

fn ws<'i>(input: &mut &'i str) -> PResult<&'i str> {
    multispace0.parse_next(input)
}

fn expr(input: &mut &str) -> PResult<Expr> {
    let first = and_expr.parse_next(input)?;
    let rest: Vec<Expr> =
        repeat(0.., preceded((ws, keyword("or"), ws), and_expr)).parse_next(input)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Expr::Or(Box::new(a), Box::new(b))))
}

fn and_expr(input: &mut &str) -> PResult<Expr> {
    let first = unary.parse_next(input)?;
    let rest: Vec<Expr> =
        repeat(0.., preceded((ws, keyword("and"), ws), unary)).parse_next(input)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Expr::And(Box::new(a), Box::new(b))))
}

fn unary(input: &mut &str) -> PResult<Expr> {
    alt((
        preceded((keyword("not"), ws), unary).map(|e| Expr::Not(Box::new(e))),
        delimited(('(', ws), expr, (ws, ')')),
        comparison,
    ))
    .parse_next(input)
}

fn comparison(input: &mut &str) -> PResult<Expr> {
    let field = ident
        .verify(|w: &str| {
            !["and", "or", "not"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k))
        })
        .parse_next(input)?;
    let rhs = opt((ws, op, ws, value)).parse_next(input)?;
    let field = field.to_ascii_lowercase();
    Ok(match rhs {
        Some((_, op, _, v)) => Expr::Cmp(field, op, v),
        None => Expr::Flag(field),
    })
}

fn op(input: &mut &str) -> PResult<Op> {
    alt((
        ">=".value(Op::Ge),
        "<=".value(Op::Le),
        "!=".value(Op::Ne),
        "==".value(Op::Eq),
        "=".value(Op::Eq),
        ">".value(Op::Gt),
        "<".value(Op::Lt),
        "~".value(Op::Like),
    ))
    .parse_next(input)
}

fn value(input: &mut &str) -> PResult<Value> {
    alt((quoted.map(Value::Text), word.map(classify))).parse_next(input)
}

fn quoted(input: &mut &str) -> PResult<String> {
    let q = one_of(['"', '\'']).parse_next(input)?;
    let mut out = String::new();
    loop {
        let c = winnow::token::any.parse_next(input)?;
        if c == q {
            return Ok(out);
        }
        if c == '\\' {
            out.push(winnow::token::any.parse_next(input)?);
        } else {
            out.push(c);
        }
    }
}

fn word<'i>(input: &mut &'i str) -> PResult<&'i str> {
    take_while(1.., |c: char| {
        c.is_ascii_alphanumeric() || "-_.:/@+*?".contains(c)
    })
    .parse_next(input)
}

/// A bare word: duration (`30d`), date (`2026-01-31`), number, else text.
fn classify(w: &str) -> Value {
    if let Some((n, unit)) = w.split_at_checked(w.len().saturating_sub(1))
        && let Ok(n) = n.parse::<i64>()
    {
        let secs = match unit {
            "d" => Some(86_400),
            "h" => Some(3_600),
            "w" => Some(7 * 86_400),
            _ => None,
        };
        if let Some(s) = secs {
            return Value::Duration(n.saturating_mul(s));
        }
    }
    if let Some(d) = parse_date(w) {
        return Value::Date(d);
    }
    if let Ok(n) = w.parse::<f64>()
        && n.is_finite()
    {
        return Value::Number(n);
    }
    Value::Text(w.to_string())
}

/// `YYYY-MM-DD` (optionally followed by a time, ignored) → unix seconds at 00:00 UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let d = s.get(..10)?;
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = d[..4].parse().ok()?;
    let m: u8 = d[5..7].parse().ok()?;
    let day: u8 = d[8..10].parse().ok()?;
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// Severity name → rank (unknown 0 .. critical 5).
pub fn severity_rank(name: &str) -> Option<i64> {
    drydock_vulndb::Severity::parse(name).map(|s| s as i64)
}

const FLAG_FIELDS: &[&str] = &["kev", "fixable", "sla_breached"];

/// Semantic checks: known fields, flags used as flags, operators and value kinds that fit.
fn check(e: &Expr) -> Result<()> {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            check(a)?;
            check(b)
        }
        Expr::Not(a) => check(a),
        Expr::Flag(f) => {
            if FLAG_FIELDS.contains(&f.as_str()) {
                Ok(())
            } else if FIELDS.iter().any(|(n, _)| n == f) {
                Err(Error::Query(format!(
                    "{f} needs a comparison (e.g. {f} = ...); only kev, fixable and sla_breached \
                     stand alone"
                )))
            } else {
                Err(unknown_field(f))
            }
        }
        Expr::Cmp(f, op, v) => {
            let bad = |why: &str| Err(Error::Query(format!("{f} {} ...: {why}", op.text())));
            match f.as_str() {
                "kev" | "fixable" | "sla_breached" => match (op, bool_value(v)) {
                    (Op::Eq | Op::Ne, Some(_)) => Ok(()),
                    _ => bad("a flag compares with = or != to true or false"),
                },
                "severity" => match v {
                    Value::Text(t) if severity_rank(t).is_some() && *op != Op::Like => Ok(()),
                    _ => {
                        bad("expected a severity: critical, high, medium, low, negligible, unknown")
                    }
                },
                "cvss" | "epss" => match v {
                    Value::Number(_) if *op != Op::Like => Ok(()),
                    _ => bad("expected a number"),
                },
                "age" => match v {
                    Value::Duration(_) | Value::Number(_) if *op != Op::Like => Ok(()),
                    _ => bad("expected a duration such as 30d, 24h or 2w"),
                },
                "first_seen" | "sla_due" => match v {
                    Value::Duration(_) | Value::Date(_) | Value::Number(_) if *op != Op::Like => {
                        Ok(())
                    }
                    _ => bad("expected a duration (30d) or a date (2026-01-31)"),
                },
                "id" | "package" | "ecosystem" | "image" | "repo" | "tag" | "namespace"
                | "cluster" => match op {
                    Op::Eq | Op::Ne | Op::Like => Ok(()),
                    _ => bad("text fields compare with =, != or ~"),
                },
                _ => Err(unknown_field(f)),
            }
        }
    }
}

fn unknown_field(f: &str) -> Error {
    let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
    Error::Query(format!("unknown field {f:?}; fields: {}", names.join(", ")))
}

fn bool_value(v: &Value) -> Option<bool> {
    match v {
        Value::Text(t) if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("yes") => {
            Some(true)
        }
        Value::Text(t) if t.eq_ignore_ascii_case("false") || t.eq_ignore_ascii_case("no") => {
            Some(false)
        }
        Value::Number(n) if *n == 1.0 => Some(true),
        Value::Number(n) if *n == 0.0 => Some(false),
        _ => None,
    }
}

/// Text of a value for a text field (numbers and dates as written are not kept: a bare
/// `2026` in `tag = 2026` is the text "2026").
fn text_of(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string(),
        Value::Duration(s) => format!("{s}s"),
        Value::Date(d) => time::OffsetDateTime::from_unix_timestamp(*d)
            .map(|t| t.date().to_string())
            .unwrap_or_default(),
    }
}

/// Compiles an [`Expr`] to SQL over `findings f JOIN images i ON i.id = f.image_id`,
/// numbering placeholders `$n` from a given start.
pub struct Compiler {
    params: Vec<Param>,
    first: usize,
    now: i64,
}

impl Compiler {
    /// `first` is the number of the first placeholder this compiler may use (the caller binds
    /// `$1..$first-1` itself); `now` is the reference time for durations, in unix seconds.
    pub fn new(first: usize, now: i64) -> Self {
        Compiler {
            params: Vec::new(),
            first,
            now,
        }
    }

    /// The parameters to bind after the caller's own, in order.
    pub fn into_params(self) -> Vec<Param> {
        self.params
    }

    fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.first + self.params.len() - 1)
    }

    /// The SQL boolean expression for `e`.
    pub fn compile(&mut self, e: &Expr) -> String {
        match e {
            Expr::And(a, b) => format!("({} AND {})", self.compile(a), self.compile(b)),
            Expr::Or(a, b) => format!("({} OR {})", self.compile(a), self.compile(b)),
            Expr::Not(a) => format!("(NOT {})", self.compile(a)),
            Expr::Flag(f) => self.flag(f, true),
            Expr::Cmp(f, op, v) => self.cmp(f, *op, v),
        }
    }

    fn flag(&mut self, f: &str, want: bool) -> String {
        let sql = match f {
            "kev" => "f.kev = 1".to_string(),
            "fixable" => "f.fixable = 1".to_string(),
            _ => {
                let now = self.bind(Param::Int(self.now));
                format!("(f.sla_due IS NOT NULL AND COALESCE(f.fixed_at, {now}) > f.sla_due)")
            }
        };
        if want { sql } else { format!("(NOT {sql})") }
    }

    fn text_cmp(&mut self, col: &str, op: Op, v: &Value) -> String {
        let t = text_of(v);
        match op {
            Op::Like => {
                let p = self.bind(Param::Text(like_pattern(&t)));
                format!("LOWER({col}) LIKE LOWER({p}) ESCAPE '\\'")
            }
            _ => {
                let p = self.bind(Param::Text(t));
                format!("{col} {} {p}", op.sql())
            }
        }
    }

    /// `EXISTS (...)` for `=`/`~`, `NOT EXISTS (... =)` for `!=`.
    fn exists(&mut self, from_where: &str, col: &str, op: Op, v: &Value) -> String {
        let (neg, inner_op) = if op == Op::Ne {
            (true, Op::Eq)
        } else {
            (false, op)
        };
        let c = self.text_cmp(col, inner_op, v);
        format!(
            "({}EXISTS (SELECT 1 FROM {from_where} AND {c}))",
            if neg { "NOT " } else { "" }
        )
    }

    fn cmp(&mut self, f: &str, op: Op, v: &Value) -> String {
        match f {
            "kev" | "fixable" | "sla_breached" => {
                let want = bool_value(v).unwrap_or(true) == (op == Op::Eq);
                self.flag(f, want)
            }
            "severity" => {
                let rank = match v {
                    Value::Text(t) => severity_rank(t).unwrap_or(0),
                    _ => 0,
                };
                let p = self.bind(Param::Int(rank));
                format!("f.severity_rank {} {p}", op.sql())
            }
            "cvss" | "epss" => {
                let n = match v {
                    Value::Number(n) => *n,
                    _ => 0.0,
                };
                let p = self.bind(Param::Real(n));
                format!("f.{f} {} {p}", op.sql())
            }
            "age" => {
                let secs = duration_secs(v);
                let now = self.bind(Param::Int(self.now));
                let p = self.bind(Param::Int(secs));
                format!(
                    "(f.published IS NOT NULL AND ({now} - f.published) {} {p})",
                    op.sql()
                )
            }
            "first_seen" => match v {
                Value::Date(d) => {
                    let p = self.bind(Param::Int(*d));
                    format!("f.first_seen {} {p}", op.sql())
                }
                _ => {
                    let now = self.bind(Param::Int(self.now));
                    let p = self.bind(Param::Int(duration_secs(v)));
                    format!("({now} - f.first_seen) {} {p}", op.sql())
                }
            },
            "sla_due" => match v {
                Value::Date(d) => {
                    let p = self.bind(Param::Int(*d));
                    format!("(f.sla_due IS NOT NULL AND f.sla_due {} {p})", op.sql())
                }
                _ => {
                    let now = self.bind(Param::Int(self.now));
                    let p = self.bind(Param::Int(duration_secs(v)));
                    format!(
                        "(f.sla_due IS NOT NULL AND (f.sla_due - {now}) {} {p})",
                        op.sql()
                    )
                }
            },
            "id" => self.text_cmp("f.vuln_id", op, v),
            "package" => self.text_cmp("f.package", op, v),
            "ecosystem" => self.text_cmp("f.ecosystem", op, v),
            "repo" => self.text_cmp("i.repo", op, v),
            "tag" => self.exists("image_tags t WHERE t.image_id = i.id", "t.tag", op, v),
            "namespace" | "cluster" => self.exists(
                "runtime r WHERE r.org_id = f.org_id AND r.digest = i.digest",
                if f == "namespace" {
                    "r.namespace"
                } else {
                    "r.cluster"
                },
                op,
                v,
            ),
            "image" => {
                let (neg, inner) = if op == Op::Ne {
                    (true, Op::Eq)
                } else {
                    (false, op)
                };
                let a = self.text_cmp("i.repo", inner, v);
                let b = self.text_cmp("i.digest", inner, v);
                let c = self.exists(
                    "image_tags t WHERE t.image_id = i.id",
                    "(i.repo || ':' || t.tag)",
                    inner,
                    v,
                );
                let any = format!("({a} OR {b} OR {c})");
                if neg { format!("(NOT {any})") } else { any }
            }
            // `check` rejected everything else
            _ => "1 = 0".to_string(),
        }
    }
}

fn duration_secs(v: &Value) -> i64 {
    match v {
        Value::Duration(s) => *s,
        // a plain number is days
        Value::Number(n) => (*n * 86_400.0) as i64,
        _ => 0,
    }
}

/// `~` value → LIKE pattern: `*`/`?` are globs; without them, "contains". `%`, `_` and `\`
/// are escaped (ESCAPE '\').
pub fn like_pattern(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 2);
    let glob = t.contains(['*', '?']);
    if !glob {
        out.push('%');
    }
    for c in t.chars() {
        match c {
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '*' => out.push('%'),
            '?' => out.push('_'),
            c => out.push(c),
        }
    }
    if !glob {
        out.push('%');
    }
    out
}
