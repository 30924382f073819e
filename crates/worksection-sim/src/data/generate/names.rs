//! The words the generated accounts are made of: people, teams, projects and
//! the work inside them, written so the demo reads like a real agency.

pub const COMPANY: &str = "Northwind Studio";
pub const DOMAIN: &str = "northwind.example";

pub const FIRST_NAMES: &[&str] = &[
    "Henry", "Frank", "Kate", "Olivia", "Marcus", "Priya", "Tomás", "Elena", "Sam", "Aisha",
    "Lukas", "Mei", "Daniel", "Sofia", "Jonas", "Grace", "Ravi", "Hannah", "Omar", "Lena",
    "Victor", "Chloe", "Noah", "Ingrid", "Pablo", "Yuki", "Felix", "Amara", "Leo", "Nora",
];

pub const LAST_NAMES: &[&str] = &[
    "Gardner",
    "Harper",
    "Greenway",
    "Novak",
    "Bennett",
    "Raman",
    "Alvarez",
    "Petrova",
    "Okafor",
    "Lindqvist",
    "Chen",
    "Fischer",
    "Moreau",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Brennan",
    "Iyer",
    "Weber",
    "Costa",
    "Dubois",
    "Nakamura",
    "Berg",
    "Rossi",
    "Khan",
    "Murphy",
    "Schmidt",
];

/// Teams: (title, is an external client team, department, job titles).
pub const TEAMS: &[(&str, bool, &str, &[&str])] = &[
    (
        "Management",
        false,
        "Leadership",
        &["Managing director", "Project manager", "Account manager"],
    ),
    (
        "Design",
        false,
        "Creative",
        &[
            "Art director",
            "UI designer",
            "Brand designer",
            "Illustrator",
        ],
    ),
    (
        "Development",
        false,
        "Engineering",
        &[
            "Tech lead",
            "Backend developer",
            "Frontend developer",
            "Mobile developer",
            "QA specialist",
        ],
    ),
    (
        "Bluebird Foods",
        true,
        "Client",
        &["Marketing manager", "Product owner"],
    ),
];

pub const CONTACT_FOLDERS: &[&str] = &["Clients", "Contractors"];

pub const CONTACTS: &[(&str, &str, &str, &str)] = &[
    ("Brian", "Dragonfly", "Marketing director", "Clients"),
    ("Steve", "Powerhold", "", "Contractors"),
    ("Mike", "Shaw", "Photographer", "DEFAULT"),
    ("Anna", "Kovacs", "Procurement", "Clients"),
    ("Diego", "Ramirez", "Copywriter", "Contractors"),
    ("Julia", "Meyer", "CFO", "Clients"),
    ("Tariq", "Aziz", "Video producer", "Contractors"),
    ("Rosa", "Lind", "Office manager", "DEFAULT"),
    ("Ken", "Walsh", "Translator", "Contractors"),
    ("Maya", "Singh", "Brand manager", "Clients"),
];

/// A kind of project: the top-level tasks it is made of, and the subtasks
/// those tend to break into.
pub struct Domain {
    pub tasks: &'static [&'static str],
    pub subtasks: &'static [&'static str],
    pub description: &'static str,
}

pub const BRANDING: Domain = Domain {
    tasks: &[
        "Brand guidelines",
        "Logo refresh",
        "Launch campaign pitch",
        "Launch budget",
        "Photo shoot planning",
        "Social media kit",
        "Packaging design",
        "Press release",
        "Influencer outreach",
        "Launch event logistics",
        "Print materials",
        "Brand naming workshop",
        "Tone of voice guide",
        "Competitor review",
    ],
    subtasks: &[
        "First draft",
        "Client review",
        "Final files",
        "Print proofs",
        "Translations",
    ],
    description: "Launch of the new Owl product line: brand, campaign and launch event.",
};

pub const WEBSITE: Domain = Domain {
    tasks: &[
        "Dashboard UI mockups",
        "Sitemap and navigation",
        "Homepage design",
        "Content migration",
        "Accessibility audit",
        "SEO redirects",
        "CMS setup",
        "Performance budget",
        "Contact form spam fix",
        "Analytics events",
        "Cookie banner",
        "Staging environment",
        "Image optimisation",
        "Launch checklist",
    ],
    subtasks: &[
        "Wireframes",
        "Design review",
        "Implementation",
        "QA pass",
        "Copy edits",
    ],
    description: "Redesign of the client's website on a new CMS, with a faster, accessible front end.",
};

pub const MOBILE: Domain = Domain {
    tasks: &[
        "Fix checkout payment error",
        "Login page",
        "Push notifications",
        "Order history screen",
        "Offline mode",
        "App store listing",
        "Crash reporting",
        "Payment provider integration",
        "Dark mode",
        "Onboarding flow",
        "Release 2.4 regression tests",
        "Address autocomplete",
        "Loyalty points",
        "Beta feedback triage",
    ],
    subtasks: &["Backend endpoint", "iOS", "Android", "Tests", "Code review"],
    description: "The mobile checkout app for Bluebird Foods: faster checkout, fewer abandoned carts.",
};

pub const CAMPAIGN: Domain = Domain {
    tasks: &[
        "Campaign brief",
        "Media plan",
        "Newsletter series",
        "Landing page",
        "Ad creatives",
        "Video storyboard",
        "Retargeting setup",
        "Campaign report",
        "Budget reconciliation",
        "Partner co-marketing",
        "Webinar",
        "Customer stories",
    ],
    subtasks: &["Draft", "Approval", "Scheduling", "Results"],
    description: "Spring campaign across email, social and paid channels.",
};

pub const OPERATIONS: Domain = Domain {
    tasks: &[
        "Weekly team meeting notes",
        "Capacity planning",
        "Hiring: frontend developer",
        "Laptop refresh",
        "Quarterly OKRs",
        "Invoice backlog",
        "Security training",
        "Office move",
        "Tooling licences review",
        "Onboarding handbook",
    ],
    subtasks: &["Collect input", "Decide", "Follow up"],
    description: "How the studio runs: meetings, hiring, finance and tools.",
};

pub const PORTAL: Domain = Domain {
    tasks: &[
        "Discovery interviews",
        "User roles",
        "Document upload",
        "Invoice view",
        "SSO",
        "Prototype",
        "Estimate",
    ],
    subtasks: &["Research", "Spec", "Estimate"],
    description: "A client portal where customers see their invoices and documents. On hold until budget is approved.",
};

pub const REPORT: Domain = Domain {
    tasks: &[
        "Annual report layout",
        "Financial charts",
        "CEO letter",
        "Photo selection",
        "Printing",
        "Web version",
    ],
    subtasks: &["Draft", "Review", "Final"],
    description: "The 2025 annual report, delivered and archived.",
};

/// Demo projects: (name, folder title, domain, status).
pub const PROJECTS: &[(&str, &str, &Domain, &str)] = &[
    ("Owl brand launch", "Marketing", &BRANDING, "active"),
    ("Website redesign", "Bluebird Foods", &WEBSITE, "active"),
    ("Mobile checkout app", "Development", &MOBILE, "active"),
    (
        "Spring marketing campaign",
        "Marketing",
        &CAMPAIGN,
        "active",
    ),
    ("Internal operations", "Management", &OPERATIONS, "active"),
    ("Client portal MVP", "Development", &PORTAL, "pending"),
    ("2025 Annual report", "Design", &REPORT, "archive"),
];

/// Project folders besides the teams: (title).
pub const FOLDERS: &[&str] = &["Marketing", "Archive"];

/// Sentences a task description is assembled from.
pub const TASK_TEXT: &[&str] = &[
    "Agree the scope with the client before we start; the last round changed twice.",
    "Keep it consistent with the brand guidelines (colours, type, tone of voice).",
    "Acceptance: reviewed by the project manager and signed off by the client.",
    "Blocked until we get the final copy from the client.",
    "Estimate includes one round of revisions.",
    "Reuse the components from the design system where possible.",
    "Check on mobile and desktop, light and dark themes.",
    "Link the final files in a comment when done.",
];

pub const COMMENTS: &[&str] = &[
    "I've started on this, first version by tomorrow.",
    "See the screenshot attached, this is what the client sees.",
    "Updated the spec PDF with the client's notes.",
    "Can we move the deadline? Waiting for input from the client.",
    "Looks good to me, one small change on the second page.",
    "Done on my side, please review.",
    "The client approved it in today's call.",
    "Found the cause: the payment provider times out after 10 seconds.",
    "Who owns this now? It's been sitting for a week.",
    "Added the numbers to the budget sheet.",
    "Reopening: the fix doesn't work on Android.",
    "Thanks, merging this afternoon.",
    "Let's discuss in the weekly meeting.",
    "Attached the latest version.",
    "Need your help with the first section.",
    "Blocked by the API change, see the related task.",
];

pub const COST_COMMENTS: &[&str] = &[
    "",
    "",
    "",
    "Client call",
    "Code review",
    "Design iteration",
    "Bug fixing",
    "Workshop",
    "Research",
    "Documentation",
    "Testing",
    "Planning",
];

pub const TASK_LABELS: &[&str] = &["bug", "urgent", "client feedback", "quick win", "design"];
pub const TASK_STATUSES: &[&str] = &["To-do", "In progress", "Need approval", "Done"];
pub const PROJECT_STATUSES: &[&str] = &["Backlog", "In progress", "Paused", "Completed"];
pub const PROJECT_LABELS: &[&str] = &["inner", "wiki", "retainer", "fixed price"];
