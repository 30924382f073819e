//! Which files the demo account holds and where they are attached.
//!
//! The bytes come from `data::files`, built once per dataset. Names are the
//! kind people upload, including a few that would be dangerous if a client
//! ever used them as a path (`../../etc/passwd.txt`, `report:final?.txt`):
//! the MCP server must prove it never does.

use std::sync::Arc;

use crate::data::files::{self, Cell, FileError, Screenshot, Sheet, Slide};

/// Where a planned file goes, by the name of its task or project.
pub enum Target {
    Task(&'static str),
    /// The latest comment on the named task.
    LatestComment(&'static str),
    Project(&'static str),
}

pub struct Planned {
    pub name: &'static str,
    pub on: Target,
    pub bytes: Arc<[u8]>,
}

/// The encoded attachments, shared by every file that uses them.
pub struct Blobs {
    checkout_png: Arc<[u8]>,
    checkout_jpg: Arc<[u8]>,
    dashboard_png: Arc<[u8]>,
    login_png: Arc<[u8]>,
    guidelines_pdf: Arc<[u8]>,
    brief_docx: Arc<[u8]>,
    requirements_docx: Arc<[u8]>,
    budget_xlsx: Arc<[u8]>,
    pitch_pptx: Arc<[u8]>,
}

impl Blobs {
    pub fn new() -> Result<Self, FileError> {
        let checkout = Screenshot {
            title: "Bluebird checkout - Payment",
            lines: &[
                "Order #48213   3 items   Total: $86.40",
                "Card: **** **** **** 4242   Exp 09/28",
                "[ Pay now ]",
                "Payment provider timed out after 10 s",
            ],
            banner: Some("Error 500: payment service unavailable"),
            width: 900,
            height: 560,
        };
        let checkout_android = Screenshot {
            title: "Android 15 - Bluebird app",
            lines: &[
                "Checkout",
                "Something went wrong.",
                "Code: PAY-TIMEOUT",
                "[ Try again ]",
            ],
            banner: Some("Payment failed - please try again"),
            width: 480,
            height: 800,
        };
        let dashboard = Screenshot {
            title: "Bluebird Foods - Dashboard v2",
            lines: &[
                "Orders today: 1,284    Revenue: $48,920",
                "Abandoned carts: 12% (down from 19%)",
                "Top product: Owl oat bar",
                "Last sync: 2 minutes ago",
            ],
            banner: None,
            width: 1024,
            height: 640,
        };
        let login = Screenshot {
            title: "Sign in - Bluebird",
            lines: &[
                "Email: kate@bluebird.example",
                "Password: ********",
                "[ Sign in ]",
                "Forgot password?",
            ],
            banner: Some("Too many attempts. Try again in 5 minutes."),
            width: 800,
            height: 520,
        };
        Ok(Self {
            checkout_png: files::png_screenshot(&checkout)?.into(),
            checkout_jpg: files::jpeg_screenshot(&checkout_android, 85)?.into(),
            dashboard_png: files::png_screenshot(&dashboard)?.into(),
            login_png: files::png_screenshot(&login)?.into(),
            guidelines_pdf: files::pdf_document(
                "Owl brand guidelines v3",
                &[
                    "The Owl brand is warm, clever and a little playful. These guidelines describe how to use the logo, colours and type so every touchpoint feels like the same brand.",
                    "Logo: keep clear space equal to the height of the owl's eye around the logo. Never stretch, rotate or recolour it. The minimum size is 24 px on screen and 10 mm in print.",
                    "Colours: Midnight Blue #1D2B53 is the primary colour; Amber #FFB000 is for calls to action only. Backgrounds are Paper White #FAF7F0.",
                    "Typography: headings in Fraunces Semibold, body text in Inter Regular at 16 px or larger.",
                    "Tone of voice: short sentences, active verbs, no jargon. We speak like a helpful friend who knows the product well.",
                ],
            )?
            .into(),
            brief_docx: files::docx_document(
                "Owl brand launch - project brief",
                &[
                    "Goal: launch the Owl product line in March with a campaign that reaches 2 million people in the first month.",
                    "Audience: health-conscious professionals aged 25 to 45 who snack at their desk.",
                    "Deliverables: brand guidelines, packaging, launch campaign, press kit and launch event.",
                    "Budget: 120,000 USD including media. Decisions above 5,000 USD need the client's approval.",
                ],
            )?
            .into(),
            requirements_docx: files::docx_document(
                "Checkout requirements",
                &[
                    "Payment must complete within 5 seconds for 95% of orders.",
                    "When the payment provider does not answer, show a clear message and keep the cart.",
                    "Retry once automatically, then let the customer retry.",
                ],
            )?
            .into(),
            budget_xlsx: files::xlsx_workbook(&[
                Sheet {
                    name: "Budget",
                    rows: vec![
                        vec![text("Item"), text("Planned"), text("Spent")],
                        vec![text("Brand guidelines"), num(18_000.0), num(16_500.0)],
                        vec![text("Packaging design"), num(22_000.0), num(9_800.0)],
                        vec![text("Media"), num(60_000.0), num(12_400.0)],
                        vec![text("Launch event"), num(20_000.0), num(0.0)],
                    ],
                },
                Sheet {
                    name: "Timeline",
                    rows: vec![
                        vec![text("Milestone"), text("Week")],
                        vec![text("Guidelines signed off"), num(2.0)],
                        vec![text("Packaging printed"), num(6.0)],
                        vec![text("Campaign live"), num(9.0)],
                    ],
                },
            ])?
            .into(),
            pitch_pptx: files::pptx_presentation(&[
                Slide { title: "Owl launch campaign", bullets: &["Pitch for Bluebird Foods", "Northwind Studio"] },
                Slide { title: "The idea", bullets: &["Smart snacks for smart people", "The owl as a study buddy"] },
                Slide { title: "Channels", bullets: &["Social video", "Office sampling", "Podcasts"] },
                Slide { title: "Budget and timeline", bullets: &["120k USD", "Live in week 9"] },
            ])?
            .into(),
        })
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn num(n: f64) -> Cell {
    Cell::Number(n)
}

fn bytes(s: &str) -> Arc<[u8]> {
    Arc::from(s.as_bytes())
}

/// Every attachment of the demo account.
pub fn plan(b: &Blobs) -> Vec<Planned> {
    let p = |name, on, bytes| Planned { name, on, bytes };
    vec![
        p(
            "Checkout error.png",
            Target::Task("Fix checkout payment error"),
            b.checkout_png.clone(),
        ),
        p(
            "Checkout error - Android.jpg",
            Target::LatestComment("Fix checkout payment error"),
            b.checkout_jpg.clone(),
        ),
        p(
            "Checkout requirements.docx",
            Target::LatestComment("Payment provider integration"),
            b.requirements_docx.clone(),
        ),
        p(
            "Dashboard mockup v2.png",
            Target::Task("Dashboard UI mockups"),
            b.dashboard_png.clone(),
        ),
        p(
            "Login rate limit.png",
            Target::LatestComment("Login page"),
            b.login_png.clone(),
        ),
        p(
            "Brand guidelines v3.pdf",
            Target::Task("Brand guidelines"),
            b.guidelines_pdf.clone(),
        ),
        p(
            "Owl brand launch brief.docx",
            Target::Project("Owl brand launch"),
            b.brief_docx.clone(),
        ),
        p(
            "Launch budget.xlsx",
            Target::Task("Launch budget"),
            b.budget_xlsx.clone(),
        ),
        p(
            "Campaign pitch.pptx",
            Target::Task("Launch campaign pitch"),
            b.pitch_pptx.clone(),
        ),
        p(
            "Meeting notes 2026-11-17.md",
            Target::Task("Weekly team meeting notes"),
            bytes(
                "# Weekly meeting\n\n- Checkout error: Kate's fix is in review, ship Thursday.\n- Owl launch: guidelines v3 approved, packaging next.\n- Capacity: two people are over 45 hours this week; move the SEO work.\n",
            ),
        ),
        p(
            "Résumé notes.txt",
            Target::Task("Hiring: frontend developer"),
            bytes(
                "Candidate shortlist for the frontend role.\nStrong: accessibility, TypeScript, design systems.\nNext: technical interview on Friday.\n",
            ),
        ),
        p(
            "team-capacity.csv",
            Target::Task("Capacity planning"),
            bytes(
                "person,planned_hours,available_hours\nDesign team,120,160\nDevelopment team,310,280\nManagement,60,80\n",
            ),
        ),
        p(
            "api-response.json",
            Target::LatestComment("Fix checkout payment error"),
            bytes(
                "{\"error\":\"PAY-TIMEOUT\",\"provider\":\"stripe-like\",\"elapsed_ms\":10012}\n",
            ),
        ),
        p(
            "../../etc/passwd.txt",
            Target::Project("Internal operations"),
            bytes("Not a password file: a harmless note with a hostile name.\n"),
        ),
        p(
            "report:final?.txt",
            Target::Task("Invoice backlog"),
            bytes("Invoices to send: 7. Oldest is 45 days overdue.\n"),
        ),
    ]
}
