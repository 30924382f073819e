//! Filter expressions for `search_tasks` and `get_costs`, built safely.
//!
//! Worksection's `filter=` grammar compares integer fields with `=`/`in`,
//! text fields with `=`/`has`, and date fields with `= != < <= > >=` against
//! `'DD.MM.YYYY'`, joined by lowercase `and`/`or`. Building expressions
//! from user text by string formatting would let a quote in the text end the
//! literal and add conditions of its own; here every text is quoted and
//! escaped (`\'`, `\\`), control characters become spaces (they cannot mean
//! anything in a name and would only confuse the server's parser), and
//! combined expressions are parenthesised so precedence can never change
//! what a caller meant.
//!
//! ```
//! use worksection::filter::{Cmp, Filter};
//! let f = Filter::name_has("Report").or(Filter::name_has("O'Brien")).and(Filter::project(2456));
//! assert_eq!(f.to_string(), r"((name has 'Report' or name has 'O\'Brien') and project = 2456)");
//! ```

use std::fmt;

use chrono::NaiveDate;

/// A date comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

/// A filter expression; `Display` renders Worksection's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn date(d: NaiveDate) -> String {
    format!("'{}'", d.format("%d.%m.%Y"))
}

impl Filter {
    /// Task id (`search_tasks`) or the cost line's task id (`get_costs`).
    pub fn id(id: u64) -> Self {
        Self(format!("id = {id}"))
    }

    /// Any of these ids; `None` for an empty list, which has no syntax.
    pub fn id_in(ids: impl IntoIterator<Item = u64>) -> Option<Self> {
        let ids: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
        (!ids.is_empty()).then(|| Self(format!("id in ({})", ids.join(", "))))
    }

    pub fn project(id: u64) -> Self {
        Self(format!("project = {id}"))
    }

    /// Subtasks of a task (`search_tasks`).
    pub fn parent(id: u64) -> Self {
        Self(format!("parent = {id}"))
    }

    /// The whole name (`search_tasks`).
    pub fn name_eq(text: &str) -> Self {
        Self(format!("name = {}", quote(text)))
    }

    /// Part of the name (`search_tasks`).
    pub fn name_has(text: &str) -> Self {
        Self(format!("name has {}", quote(text)))
    }

    /// The whole comment of a cost line (`get_costs`).
    pub fn comment_eq(text: &str) -> Self {
        Self(format!("comment = {}", quote(text)))
    }

    /// Part of the comment of a cost line (`get_costs`).
    pub fn comment_has(text: &str) -> Self {
        Self(format!("comment has {}", quote(text)))
    }

    /// Creation date of a task, or date of a cost line.
    pub fn date_added(cmp: Cmp, day: NaiveDate) -> Self {
        Self(format!("dateadd {} {}", cmp.as_str(), date(day)))
    }

    pub fn date_start(cmp: Cmp, day: NaiveDate) -> Self {
        Self(format!("datestart {} {}", cmp.as_str(), date(day)))
    }

    /// The due date.
    pub fn date_end(cmp: Cmp, day: NaiveDate) -> Self {
        Self(format!("dateend {} {}", cmp.as_str(), date(day)))
    }

    pub fn date_closed(cmp: Cmp, day: NaiveDate) -> Self {
        Self(format!("dateclose {} {}", cmp.as_str(), date(day)))
    }

    pub fn and(self, other: Filter) -> Self {
        Self(format!("({} and {})", self.0, other.0))
    }

    pub fn or(self, other: Filter) -> Self {
        Self(format!("({} or {})", self.0, other.0))
    }

    /// All of these (`None` when empty).
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::and)
    }

    /// Any of these (`None` when empty).
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::or)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn renders_worksection_syntax() {
        assert_eq!(Filter::project(2456).to_string(), "project = 2456");
        assert_eq!(
            Filter::id_in([1234, 1240]).expect("ids").to_string(),
            "id in (1234, 1240)"
        );
        assert_eq!(Filter::id_in([]), None);
        assert_eq!(
            Filter::date_end(Cmp::Gt, d(2021, 5, 25)).to_string(),
            "dateend > '25.05.2021'"
        );
        assert_eq!(
            Filter::date_added(Cmp::Ne, d(2021, 5, 1)).to_string(),
            "dateadd != '01.05.2021'"
        );
        assert_eq!(
            Filter::any([
                Filter::name_has("a"),
                Filter::name_has("b"),
                Filter::name_has("c")
            ])
            .expect("some")
            .to_string(),
            "((name has 'a' or name has 'b') or name has 'c')"
        );
        assert_eq!(Filter::all([]), None);
    }

    #[test]
    fn user_text_stays_inside_its_literal() {
        let hostile = "') or (id in (1";
        assert_eq!(
            Filter::name_has(hostile).to_string(),
            r"name has '\') or (id in (1'"
        );
        assert_eq!(Filter::name_has("a\\'b").to_string(), r"name has 'a\\\'b'");
        assert_eq!(
            Filter::comment_eq("line\nbreak\u{0}").to_string(),
            "comment = 'line break '"
        );
        assert_eq!(
            Filter::name_eq("Résumé 😀").to_string(),
            "name = 'Résumé 😀'"
        );
        let big = "x".repeat(1 << 20);
        assert_eq!(Filter::name_has(&big).to_string().len(), (1 << 20) + 11);
    }
}
