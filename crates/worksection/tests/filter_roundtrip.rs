//! What the client's filter builder writes, the simulator's parser reads
//! back with the meaning intended — even for hostile text.

use chrono::NaiveDate;
use worksection::filter::{Cmp, Filter};
use worksection_sim::filter::{Record, Schema, parse};

struct Task {
    id: u64,
    project: u64,
    name: &'static str,
    end: Option<NaiveDate>,
}

impl Record for Task {
    fn int(&self, field: &str) -> Option<u64> {
        match field {
            "id" => Some(self.id),
            "project" => Some(self.project),
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

fn tasks() -> Vec<Task> {
    let d = |m, day| NaiveDate::from_ymd_opt(2021, m, day);
    vec![
        Task {
            id: 1,
            project: 10,
            name: "Quarterly report",
            end: d(5, 27),
        },
        Task {
            id: 2,
            project: 10,
            name: "O'Brien's review",
            end: d(6, 1),
        },
        Task {
            id: 3,
            project: 20,
            name: "') or (id in (1",
            end: None,
        },
        Task {
            id: 4,
            project: 20,
            name: "back\\slash",
            end: d(5, 20),
        },
    ]
}

fn select(f: &Filter) -> Vec<u64> {
    let expr = parse(&f.to_string(), Schema::SearchTasks).unwrap_or_else(|e| panic!("{f}: {e}"));
    tasks()
        .iter()
        .filter(|t| expr.matches(*t))
        .map(|t| t.id)
        .collect()
}

#[test]
fn builder_output_means_what_it_says() {
    let may = |day| NaiveDate::from_ymd_opt(2021, 5, day).expect("date");
    assert_eq!(select(&Filter::project(10)), [1, 2]);
    assert_eq!(select(&Filter::id_in([2, 4]).expect("ids")), [2, 4]);
    assert_eq!(select(&Filter::name_has("REPORT")), [1]);
    assert_eq!(select(&Filter::name_has("O'Brien")), [2]);
    assert_eq!(
        select(&Filter::name_eq("') or (id in (1")),
        [3],
        "hostile text is one literal"
    );
    assert_eq!(select(&Filter::name_has("\\")), [4]);
    assert_eq!(
        select(&Filter::date_end(Cmp::Gt, may(25)).and(Filter::project(10))),
        [1, 2]
    );
    assert_eq!(
        select(
            &Filter::project(20)
                .or(Filter::name_has("report"))
                .and(Filter::date_end(Cmp::Lt, may(28)))
        ),
        [1, 4],
        "parentheses keep the caller's grouping"
    );
}

#[test]
fn any_text_round_trips() {
    let samples = [
        "",
        "'",
        "\\",
        "\\'",
        "'\\'",
        "a'b\"c",
        "line\nbreak",
        "tab\there",
        "Résumé",
        "😀",
        "and or has in ()",
    ];
    for s in samples {
        let f = Filter::name_eq(s);
        let expr = parse(&f.to_string(), Schema::SearchTasks)
            .unwrap_or_else(|e| panic!("{s:?} -> {f}: {e}"));
        let expected = s.replace(['\n', '\t'], " ");
        let leaked: &'static str = Box::leak(expected.clone().into_boxed_str());
        let record = Task {
            id: 9,
            project: 9,
            name: leaked,
            end: None,
        };
        assert!(expr.matches(&record), "{s:?} matches itself");
    }
}
