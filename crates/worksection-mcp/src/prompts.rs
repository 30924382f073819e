//! Ready-made prompts a person can pick in their assistant: a weekly
//! project report, an overdue-work review, a person's timesheet, and
//! reading a task with its screenshots.
//!
//! A prompt is only text that tells the assistant which tools to use and
//! how to present the answer; the arguments are the person's own words
//! (a project name, a date range), quoted into it after trimming.

use rmcp::ErrorData as McpError;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};

struct Spec {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    args: &'static [(&'static str, &'static str, bool)],
}

const PROMPTS: &[Spec] = &[
    Spec {
        name: "weekly_project_report",
        title: "Weekly project status report",
        description: "A status report for one project over a week: progress, overdue work, time spent, who is overloaded, what happened.",
        args: &[
            ("project", "The project's name or id", true),
            (
                "week_start",
                "First day of the week, YYYY-MM-DD (default: 7 days ago)",
                false,
            ),
        ],
    },
    Spec {
        name: "overdue_review",
        title: "Overdue work review",
        description: "Every overdue task, grouped by person, with how late it is and a suggested next step.",
        args: &[(
            "project",
            "A project's name or id (default: the whole account)",
            false,
        )],
    },
    Spec {
        name: "timesheet_summary",
        title: "A person's timesheet",
        description: "What one person logged time on over a period, per project and per day, with totals.",
        args: &[
            ("person", "The person's name, email or id", true),
            ("date_start", "First day, YYYY-MM-DD", true),
            ("date_end", "Last day, YYYY-MM-DD", true),
        ],
    },
    Spec {
        name: "read_task_with_screenshots",
        title: "Read a task with its screenshots",
        description: "Reads a task, its whole discussion and every screenshot in it, then explains the state of the task.",
        args: &[("task_id", "The task's id", true)],
    },
];

pub fn list() -> Vec<Prompt> {
    PROMPTS
        .iter()
        .map(|s| {
            let args = s
                .args
                .iter()
                .map(|(n, d, r)| {
                    PromptArgument::new(*n)
                        .with_description(*d)
                        .with_required(*r)
                })
                .collect();
            Prompt::new(s.name, Some(s.description), Some(args)).with_title(s.title)
        })
        .collect()
}

/// An argument as the person gave it: trimmed, on one line, bounded.
fn arg(args: &Option<JsonObject>, name: &str) -> Option<String> {
    let v = args.as_ref()?.get(name)?;
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

pub fn get(name: &str, args: &Option<JsonObject>) -> Result<GetPromptResult, McpError> {
    let spec = PROMPTS.iter().find(|s| s.name == name).ok_or_else(|| {
        McpError::invalid_params(
            format!(
                "No prompt named {:?}; the prompts are {}.",
                name.chars().take(60).collect::<String>(),
                PROMPTS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        )
    })?;
    for (n, _, required) in spec.args {
        if *required && arg(args, n).is_none() {
            return Err(McpError::invalid_params(
                format!("The prompt {} needs the argument `{n}`.", spec.name),
                None,
            ));
        }
    }
    let a = |n: &str| arg(args, n).unwrap_or_default();
    let text = match spec.name {
        "weekly_project_report" => {
            let week = arg(args, "week_start")
                .map(|d| format!("the week starting {d}"))
                .unwrap_or_else(|| "the last 7 days".to_owned());
            format!(
                "Write a weekly status report for the Worksection project \"{project}\" covering {week}.\n\
                 1. Find the project with get_projects (match the name) unless an id was given.\n\
                 2. Use get_project_stats for progress, get_overdue_tasks (project_id) for late work, \
                 get_project_time_report with the week's dates for time spent, get_team_workload_summary \
                 for who is overloaded, and get_activity_log (project_id, period 7d) for what happened.\n\
                 3. Report: a three-line summary, progress (completion rate, tasks done), overdue work \
                 (who, how late), time and money against plan, risks, and next steps. Quote figures \
                 exactly as the tools give them.",
                project = a("project")
            )
        }
        "overdue_review" => {
            let scope = arg(args, "project")
                .map(|p| format!("the project \"{p}\" (find its id with get_projects)"))
                .unwrap_or_else(|| "the whole account".to_owned());
            format!(
                "Review the overdue work in {scope}.\n\
                 Use get_overdue_tasks, then group the tasks by assignee, most overdue first, with \
                 days overdue and priority. Point out people with several overdue tasks (check \
                 get_team_workload_summary) and tasks with no assignee. End with a short list of \
                 suggested next steps."
            )
        }
        "timesheet_summary" => format!(
            "Summarise the timesheet of {person} from {start} to {end}.\n\
             Find their user_id with get_users (match name or email) unless an id was given, then \
             call get_user_workload with that range. Show totals, time per project and per day, \
             and the largest entries with their comments. Flag days with no time logged.",
            person = a("person"),
            start = a("date_start"),
            end = a("date_end")
        ),
        _ => format!(
            "Read the Worksection task {task} with its whole discussion.\n\
             Call get_task_discussion with task_id {task}. Then read every image in its `images` \
             list (read the resource_uri, or call get_file_content with the file id) and look at \
             the screenshots. Read any PDF, DOCX or XLSX attachments with get_file_content. \
             Explain what the task is about, what was decided, what the screenshots show, and what \
             is still open.",
            task = a("task_id")
        ),
    };
    let mut result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]);
    result.description = Some(spec.description.to_owned());
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_renders_with_its_required_arguments() {
        for p in list() {
            let mut args = JsonObject::new();
            for a in p.arguments.iter().flatten() {
                args.insert(a.name.clone(), serde_json::json!("2026-11-02"));
            }
            let r = get(&p.name, &Some(args)).expect("renders");
            assert_eq!(r.messages.len(), 1);
        }
    }

    #[test]
    fn missing_arguments_and_unknown_prompts_are_named() {
        let e = get("timesheet_summary", &None).expect_err("missing");
        assert!(e.message.contains("person"));
        let e = get("nope", &None).expect_err("unknown");
        assert!(e.message.contains("weekly_project_report"));
    }
}
