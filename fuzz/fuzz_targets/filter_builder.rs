//! Fuzzes the client's filter-expression builder (`worksection::filter`)
//! against the simulator's parser of Worksection's `filter=` grammar.
//!
//! An arbitrary tree of conditions (hostile text, any ids, any dates) joined
//! by `and`/`or` is rendered by the builder and read back by the parser. The
//! property: the parser either refuses the text (it is over the grammar's
//! bounds) or reads back exactly the tree that was built — no text can end
//! its literal and add a condition of its own, and no grouping can change.
//! Within the bounds (4096 bytes, 32 levels, 1000 values per `in`, four-digit
//! years) it must read it.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Datelike, NaiveDate};
use libfuzzer_sys::fuzz_target;
use worksection::filter::{Cmp, Filter};
use worksection_sim::filter::{self as sim, Expr, Schema};

#[derive(Debug, Arbitrary)]
enum Node {
    Text { whole: bool, text: String },
    Id(u64),
    IdIn(Vec<u64>),
    Project(u64),
    Parent(u64),
    Date { which: u8, cmp: u8, days: i32 },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    costs: bool,
    root: Node,
}

/// What the parser should read back, and whether it is within the bounds.
struct Built {
    filter: Filter,
    expr: Expr,
    depth: usize,
    in_bounds: bool,
}

fn cmp_of(n: u8) -> (Cmp, sim::Cmp) {
    match n % 6 {
        0 => (Cmp::Eq, sim::Cmp::Eq),
        1 => (Cmp::Ne, sim::Cmp::Ne),
        2 => (Cmp::Lt, sim::Cmp::Lt),
        3 => (Cmp::Le, sim::Cmp::Le),
        4 => (Cmp::Gt, sim::Cmp::Gt),
        _ => (Cmp::Ge, sim::Cmp::Ge),
    }
}

/// The literal as the parser keeps it: control characters became spaces,
/// comparisons ignore case.
fn literal(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .to_lowercase()
}

fn build(node: &Node, costs: bool) -> Option<Built> {
    let leaf = |filter: Filter, expr: Expr, in_bounds: bool| {
        Some(Built {
            filter,
            expr,
            depth: 0,
            in_bounds,
        })
    };
    let ints = |field: &str, values: Vec<u64>| Expr::IntIn {
        field: field.to_owned(),
        values,
    };
    match node {
        Node::Text { whole, text } => {
            let field = if costs { "comment" } else { "name" };
            let filter = match (costs, whole) {
                (false, true) => Filter::name_eq(text),
                (false, false) => Filter::name_has(text),
                (true, true) => Filter::comment_eq(text),
                (true, false) => Filter::comment_has(text),
            };
            let value = literal(text);
            let expr = if *whole {
                Expr::TextEq {
                    field: field.to_owned(),
                    value,
                }
            } else {
                Expr::TextHas {
                    field: field.to_owned(),
                    value,
                }
            };
            leaf(filter, expr, true)
        }
        Node::Id(id) => leaf(Filter::id(*id), ints("id", vec![*id]), true),
        Node::IdIn(ids) => {
            let filter = Filter::id_in(ids.iter().copied())?;
            leaf(filter, ints("id", ids.clone()), ids.len() <= sim::MAX_IN)
        }
        Node::Project(id) => leaf(Filter::project(*id), ints("project", vec![*id]), true),
        Node::Parent(id) if !costs => leaf(Filter::parent(*id), ints("parent", vec![*id]), true),
        Node::Parent(_) => None,
        Node::Date { which, cmp, days } => {
            let day = NaiveDate::from_num_days_from_ce_opt(*days)?;
            let (cmp, sim_cmp) = cmp_of(*cmp);
            let (filter, field) = match (costs, which % 4) {
                (true, _) | (false, 0) => (Filter::date_added(cmp, day), "dateadd"),
                (false, 1) => (Filter::date_start(cmp, day), "datestart"),
                (false, 2) => (Filter::date_end(cmp, day), "dateend"),
                (false, _) => (Filter::date_closed(cmp, day), "dateclose"),
            };
            let expr = Expr::Date {
                field: field.to_owned(),
                cmp: sim_cmp,
                value: day,
            };
            leaf(filter, expr, (1..=9999).contains(&day.year()))
        }
        Node::And(a, b) | Node::Or(a, b) => {
            let (a, b) = (build(a, costs)?, build(b, costs)?);
            let is_and = matches!(node, Node::And(..));
            let filter = if is_and {
                a.filter.and(b.filter)
            } else {
                a.filter.or(b.filter)
            };
            let (ea, eb) = (Box::new(a.expr), Box::new(b.expr));
            Some(Built {
                filter,
                expr: if is_and {
                    Expr::And(ea, eb)
                } else {
                    Expr::Or(ea, eb)
                },
                depth: 1 + a.depth.max(b.depth),
                in_bounds: a.in_bounds && b.in_bounds,
            })
        }
    }
}

fuzz_target!(|input: Input| {
    let Some(built) = build(&input.root, input.costs) else {
        return;
    };
    let text = built.filter.to_string();
    let schema = if input.costs {
        Schema::Costs
    } else {
        Schema::SearchTasks
    };
    let within = built.in_bounds && built.depth <= sim::MAX_DEPTH && text.len() <= sim::MAX_LEN;
    match sim::parse(&text, schema) {
        Ok(expr) => assert!(
            expr == built.expr,
            "the builder's text means something else:\n{text}\nread as {expr:?}\nbuilt {:?}",
            built.expr
        ),
        Err(e) => assert!(
            !within,
            "the parser refused the builder's text within the grammar's bounds: {e}\n{text}"
        ),
    }
});
