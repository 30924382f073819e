//! Worksection's `filter=` query grammar, as the simulator reads it for
//! `search_tasks` and `get_costs`.
//!
//! The documented grammar: integer fields compared with `=` or `in (a, b)`,
//! string fields with `=` (whole value) or `has` (part of it), date fields
//! with `> < >= <= != =` against `'DD.MM.YYYY'`, conditions grouped with
//! parentheses and joined with lowercase `and`/`or`. Where the docs are
//! silent the simulator chooses, and says so here:
//!
//! - `and` binds tighter than `or`, as in SQL;
//! - string literals are single- or double-quoted, with `\'`, `\"` and `\\`
//!   escapes; comparisons ignore case, as MySQL's default collation does;
//! - a date comparison with a record that has no such date is false;
//! - `!=` may be written `! =` (the docs print it so);
//! - `AND`/`OR` in capitals are refused with a hint rather than read as
//!   field names, since the docs insist on lowercase.
//!
//! Hostile input is bounded: at most 4096 bytes, 32 levels of parentheses
//! and 1000 values in an `in` list; every error names its position.

use std::fmt;

use chrono::NaiveDate;

pub const MAX_LEN: usize = 4096;
pub const MAX_DEPTH: usize = 32;
pub const MAX_IN: usize = 1000;

/// Which action's fields a filter may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    SearchTasks,
    Costs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldType {
    Int,
    Text,
    Date,
}

impl Schema {
    fn fields(self) -> &'static [(&'static str, FieldType)] {
        use FieldType::*;
        match self {
            Self::SearchTasks => &[
                ("id", Int),
                ("project", Int),
                ("parent", Int),
                ("name", Text),
                ("dateadd", Date),
                ("datestart", Date),
                ("dateend", Date),
                ("dateclose", Date),
            ],
            Self::Costs => &[
                ("id", Int),
                ("project", Int),
                ("comment", Text),
                ("dateadd", Date),
            ],
        }
    }

    fn field(self, name: &str) -> Option<FieldType> {
        self.fields()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    fn field_list(self) -> String {
        self.fields()
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a filter is evaluated against.
pub trait Record {
    fn int(&self, field: &str) -> Option<u64>;
    fn text(&self, field: &str) -> Option<&str>;
    fn date(&self, field: &str) -> Option<NaiveDate>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    IntIn {
        field: String,
        values: Vec<u64>,
    },
    TextEq {
        field: String,
        value: String,
    },
    TextHas {
        field: String,
        value: String,
    },
    Date {
        field: String,
        cmp: Cmp,
        value: NaiveDate,
    },
}

impl Expr {
    pub fn matches(&self, r: &impl Record) -> bool {
        match self {
            Self::And(a, b) => a.matches(r) && b.matches(r),
            Self::Or(a, b) => a.matches(r) || b.matches(r),
            Self::IntIn { field, values } => r.int(field).is_some_and(|v| values.contains(&v)),
            Self::TextEq { field, value } => {
                r.text(field).is_some_and(|t| t.to_lowercase() == *value)
            }
            Self::TextHas { field, value } => r
                .text(field)
                .is_some_and(|t| t.to_lowercase().contains(value.as_str())),
            Self::Date { field, cmp, value } => r.date(field).is_some_and(|d| match cmp {
                Cmp::Eq => d == *value,
                Cmp::Ne => d != *value,
                Cmp::Lt => d < *value,
                Cmp::Le => d <= *value,
                Cmp::Gt => d > *value,
                Cmp::Ge => d >= *value,
            }),
        }
    }
}

/// A filter that cannot be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// Byte offset into the filter.
    pub position: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter: {} at position {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Int(u64),
    Str(String),
    Op(Cmp),
    LParen,
    RParen,
    Comma,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Word(w) => write!(f, "`{w}`"),
            Self::Int(n) => write!(f, "`{n}`"),
            Self::Str(s) => write!(f, "'{s}'"),
            Self::Op(_) => f.write_str("an operator"),
            Self::LParen => f.write_str("`(`"),
            Self::RParen => f.write_str("`)`"),
            Self::Comma => f.write_str("`,`"),
        }
    }
}

fn err(position: usize, message: impl Into<String>) -> FilterError {
    FilterError {
        position,
        message: message.into(),
    }
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let mut out = Vec::new();
    let mut it = input.char_indices().peekable();
    while let Some(&(pos, c)) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' | ')' | ',' => {
                it.next();
                out.push((
                    pos,
                    match c {
                        '(' => Tok::LParen,
                        ')' => Tok::RParen,
                        _ => Tok::Comma,
                    },
                ));
            }
            '=' => {
                it.next();
                out.push((pos, Tok::Op(Cmp::Eq)));
            }
            '<' | '>' => {
                it.next();
                let eq = it.peek().is_some_and(|&(_, n)| n == '=');
                if eq {
                    it.next();
                }
                let cmp = match (c, eq) {
                    ('<', false) => Cmp::Lt,
                    ('<', true) => Cmp::Le,
                    ('>', false) => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                out.push((pos, Tok::Op(cmp)));
            }
            '!' => {
                it.next();
                while it.peek().is_some_and(|&(_, n)| n == ' ') {
                    it.next();
                }
                match it.next() {
                    Some((_, '=')) => out.push((pos, Tok::Op(Cmp::Ne))),
                    _ => return Err(err(pos, "expected `!=`")),
                }
            }
            '\'' | '"' => {
                it.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, ch)) = it.next() {
                    match ch {
                        '\\' => match it.next() {
                            Some((_, e)) => s.push(e),
                            None => break,
                        },
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        other => s.push(other),
                    }
                }
                if !closed {
                    return Err(err(pos, "unterminated string (a quote is missing)"));
                }
                out.push((pos, Tok::Str(s)));
            }
            c if c.is_ascii_digit() => {
                let mut n: u64 = 0;
                while let Some(&(_, d)) = it.peek() {
                    let Some(v) = d.to_digit(10) else { break };
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(v)))
                        .ok_or_else(|| err(pos, "number is too large"))?;
                    it.next();
                }
                out.push((pos, Tok::Int(n)));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut w = String::new();
                while let Some(&(_, ch)) = it.peek() {
                    if !(ch.is_alphanumeric() || ch == '_') {
                        break;
                    }
                    w.push(ch);
                    it.next();
                }
                out.push((pos, Tok::Word(w)));
            }
            other => return Err(err(pos, format!("unexpected character `{other}`"))),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    at: usize,
    end: usize,
    schema: Schema,
    _input: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(p, _)| *p)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|(_, t)| t.clone());
        self.at += 1;
        t
    }

    fn unexpected(&self, expected: &str) -> FilterError {
        match self.peek() {
            Some(t) => err(self.pos(), format!("unexpected {t}, expected {expected}")),
            None => err(
                self.end,
                format!("the filter ends too early, expected {expected}"),
            ),
        }
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.and(depth)?;
        while self.is_word("or") {
            self.next();
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.term(depth)?;
        while self.is_word("and") {
            self.next();
            let right = self.term(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        if let Some(Tok::Word(w)) = self.peek()
            && w != "and"
            && w != "or"
            && (w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"))
        {
            return Err(err(
                self.pos(),
                format!("`{w}` must be written in lowercase: `{}`", w.to_lowercase()),
            ));
        }
        Ok(left)
    }

    fn term(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Tok::LParen) {
            if depth >= MAX_DEPTH {
                return Err(err(
                    self.pos(),
                    format!("more than {MAX_DEPTH} levels of parentheses"),
                ));
            }
            self.next();
            let inner = self.or(depth + 1)?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.unexpected("`)`"));
            }
            self.next();
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Expr, FilterError> {
        let field_pos = self.pos();
        let Some(Tok::Word(field)) = self.peek().cloned() else {
            return Err(self.unexpected("a field name"));
        };
        self.next();
        let Some(kind) = self.schema.field(&field) else {
            let hint = if field.eq_ignore_ascii_case("and") || field.eq_ignore_ascii_case("or") {
                format!("`{field}` must be written in lowercase and join two conditions")
            } else {
                format!(
                    "unknown field `{field}`; use one of: {}",
                    self.schema.field_list()
                )
            };
            return Err(err(field_pos, hint));
        };
        let op_pos = self.pos();
        let op = self.next();
        match (kind, op) {
            (FieldType::Int, Some(Tok::Op(Cmp::Eq))) => {
                let v = self.int()?;
                Ok(Expr::IntIn {
                    field,
                    values: vec![v],
                })
            }
            (FieldType::Int, Some(Tok::Word(w))) if w == "in" => {
                if self.next() != Some(Tok::LParen) {
                    self.at -= 1;
                    return Err(self.unexpected("`(` after `in`"));
                }
                let mut values = vec![self.int()?];
                while self.peek() == Some(&Tok::Comma) {
                    self.next();
                    if values.len() >= MAX_IN {
                        return Err(err(
                            self.pos(),
                            format!("more than {MAX_IN} values in `in (...)`"),
                        ));
                    }
                    values.push(self.int()?);
                }
                if self.next() != Some(Tok::RParen) {
                    self.at -= 1;
                    return Err(self.unexpected("`,` or `)`"));
                }
                Ok(Expr::IntIn { field, values })
            }
            (FieldType::Text, Some(Tok::Op(Cmp::Eq))) => Ok(Expr::TextEq {
                field,
                value: self.string()?.to_lowercase(),
            }),
            (FieldType::Text, Some(Tok::Word(w))) if w == "has" => Ok(Expr::TextHas {
                field,
                value: self.string()?.to_lowercase(),
            }),
            (FieldType::Date, Some(Tok::Op(cmp))) => {
                let pos = self.pos();
                let raw = self.string()?;
                let value = NaiveDate::parse_from_str(&raw, "%d.%m.%Y").map_err(|_| {
                    err(
                        pos,
                        format!("`{raw}` is not a date in the format 'DD.MM.YYYY'"),
                    )
                })?;
                Ok(Expr::Date { field, cmp, value })
            }
            (kind, Some(t)) => {
                let allowed = match kind {
                    FieldType::Int => "= or in",
                    FieldType::Text => "= or has",
                    FieldType::Date => "=, !=, <, <=, > or >=",
                };
                let what = match kind {
                    FieldType::Int => "integer",
                    FieldType::Text => "text",
                    FieldType::Date => "date",
                };
                let shown = match t {
                    Tok::Op(_) | Tok::Word(_) => format!("{t}"),
                    other => format!("{other}"),
                };
                Err(err(
                    op_pos,
                    format!(
                        "{shown} cannot be used with the {what} field `{field}`; use {allowed}"
                    ),
                ))
            }
            (_, None) => Err(err(
                self.end,
                format!("the filter ends after `{field}`, expected an operator"),
            )),
        }
    }

    fn int(&mut self) -> Result<u64, FilterError> {
        match self.peek() {
            Some(Tok::Int(n)) => {
                let n = *n;
                self.next();
                Ok(n)
            }
            _ => Err(self.unexpected("a whole number")),
        }
    }

    fn string(&mut self) -> Result<String, FilterError> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected("a quoted value")),
        }
    }
}

/// Parses a filter for `schema`'s fields.
pub fn parse(input: &str, schema: Schema) -> Result<Expr, FilterError> {
    if input.len() > MAX_LEN {
        return Err(err(
            MAX_LEN,
            format!("the filter is longer than {MAX_LEN} bytes"),
        ));
    }
    let toks = lex(input)?;
    if toks.is_empty() {
        return Err(err(0, "the filter is empty"));
    }
    let mut p = Parser {
        toks,
        at: 0,
        end: input.len(),
        schema,
        _input: input,
    };
    let expr = p.or(0)?;
    if p.peek().is_some() {
        return Err(p.unexpected("`and`, `or` or the end of the filter"));
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Task {
        id: u64,
        project: u64,
        parent: Option<u64>,
        name: &'static str,
        end: Option<NaiveDate>,
    }

    impl Record for Task {
        fn int(&self, field: &str) -> Option<u64> {
            match field {
                "id" => Some(self.id),
                "project" => Some(self.project),
                "parent" => self.parent,
                _ => None,
            }
        }
        fn text(&self, field: &str) -> Option<&str> {
            (field == "name").then_some(self.name)
        }
        fn date(&self, field: &str) -> Option<NaiveDate> {
            (field == "dateend").then_some(self.end).flatten()
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%d.%m.%Y").expect("test date")
    }

    fn tasks() -> Vec<Task> {
        vec![
            Task {
                id: 1234,
                project: 2456,
                parent: None,
                name: "Task Report",
                end: Some(d("27.05.2021")),
            },
            Task {
                id: 1240,
                project: 2456,
                parent: Some(1234),
                name: "Approval of the report",
                end: Some(d("01.06.2021")),
            },
            Task {
                id: 1300,
                project: 9,
                parent: None,
                name: "Design",
                end: None,
            },
        ]
    }

    fn select(filter: &str) -> Vec<u64> {
        let expr = parse(filter, Schema::SearchTasks).unwrap_or_else(|e| panic!("{filter}: {e}"));
        tasks()
            .iter()
            .filter(|t| expr.matches(*t))
            .map(|t| t.id)
            .collect()
    }

    fn error(filter: &str) -> FilterError {
        parse(filter, Schema::SearchTasks).expect_err(filter)
    }

    #[test]
    fn documented_examples() {
        assert_eq!(select("project = 2456"), [1234, 1240]);
        assert_eq!(select("id in (1234, 1240)"), [1234, 1240]);
        assert_eq!(select("parent=1234"), [1240]);
        assert_eq!(select("name = 'Task Report'"), [1234]);
        assert_eq!(
            select("name has 'Report'"),
            [1234, 1240],
            "case-insensitive"
        );
        assert_eq!(select("dateend = '27.05.2021'"), [1234]);
        assert_eq!(
            select(
                "(name has 'Report' or name has 'Approval') and (dateend>'25.05.2021' and dateend<'31.05.2021')"
            ),
            [1234]
        );
        assert_eq!(
            select("dateend ! = '27.05.2021'"),
            [1240],
            "absent dates never match"
        );
        assert_eq!(select("dateend != '27.05.2021'"), [1240]);
        assert_eq!(
            select("dateend >= '27.05.2021' and dateend <= '01.06.2021'"),
            [1234, 1240]
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            select("project = 9 or project = 2456 and parent = 1234"),
            [1240, 1300]
        );
        assert_eq!(
            select("(project = 9 or project = 2456) and parent = 1234"),
            [1240]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let expr = parse(
            r#"name = "it's" or name has 'a\'b\\c'"#,
            Schema::SearchTasks,
        )
        .expect("valid");
        assert_eq!(
            expr,
            Expr::Or(
                Box::new(Expr::TextEq {
                    field: "name".into(),
                    value: "it's".into()
                }),
                Box::new(Expr::TextHas {
                    field: "name".into(),
                    value: "a'b\\c".into()
                }),
            )
        );
    }

    #[test]
    fn costs_have_their_own_fields() {
        assert!(
            parse(
                "comment has 'review' and dateadd < '25.05.2021'",
                Schema::Costs
            )
            .is_ok()
        );
        let e = parse("name has 'x'", Schema::Costs).expect_err("name is not a cost field");
        assert!(
            e.message.contains("unknown field `name`") && e.message.contains("comment"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_problem_and_position() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "empty"),
            (
                "project has 'x'",
                8,
                "`has` cannot be used with the integer field `project`; use = or in",
            ),
            ("name = 5", 7, "expected a quoted value"),
            ("dateend > '2021-05-01'", 10, "format 'DD.MM.YYYY'"),
            ("dateend > '31.02.2021'", 10, "is not a date"),
            ("project = 1 AND id = 2", 12, "lowercase"),
            ("(project = 1", 12, "ends too early, expected `)`"),
            ("project = 1)", 11, "unexpected `)`"),
            ("colour = 'red'", 0, "unknown field `colour`"),
            ("name has 'x", 9, "unterminated"),
            ("id in ()", 7, "expected a whole number"),
            ("id in (1 2)", 9, "expected `,` or `)`"),
            ("id = 99999999999999999999", 5, "too large"),
            ("name has 'x' ; drop", 13, "unexpected character `;`"),
        ];
        for (input, pos, needle) in cases {
            let e = error(input);
            assert_eq!(e.position, *pos, "{input}: {e}");
            assert!(e.to_string().contains(needle), "{input}: {e}");
            assert!(e.to_string().starts_with("filter: "), "{e}");
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let deep = format!("{}project = 1{}", "(".repeat(40), ")".repeat(40));
        assert!(error(&deep).message.contains("levels of parentheses"));
        let long = format!("name has '{}'", "x".repeat(5000));
        assert!(error(&long).message.contains("longer than"));
        let many = format!("id in ({})", vec!["1"; 1001].join(","));
        assert!(error(&many).message.contains("more than 1000 values"));
        // Exactly at the limits is fine.
        let ok = format!("{}project = 1{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&ok, Schema::SearchTasks).is_ok());
    }

    #[test]
    fn random_input_never_panics() {
        // A tiny xorshift keeps this deterministic without extra crates.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet: Vec<char> = "()'\",=<>! \\andorhasinidprojectnamedateend0123456789.é€\u{0}"
            .chars()
            .collect();
        let seeds = [
            "(name has 'Report' or id in (1, 2)) and dateend>'25.05.2021'",
            "project = 2456",
        ];
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut s: Vec<char> = seeds[i % 2].chars().collect();
            for _ in 0..(x % 6) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let c = alphabet[(x % alphabet.len() as u64) as usize];
                let at = (x >> 32) as usize % (s.len() + 1);
                if x & 1 == 0 && at < s.len() {
                    s[at] = c;
                } else {
                    s.insert(at, c);
                }
            }
            let input: String = s.into_iter().collect();
            if let Ok(expr) = parse(&input, Schema::SearchTasks) {
                tasks().iter().for_each(|t| {
                    expr.matches(t);
                });
            }
        }
    }
}
