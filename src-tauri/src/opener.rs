//! Handing a link or a folder to the desktop (`xdg-open` on Linux, `open`
//! on macOS, `start` on Windows): an assistant's install link, the Claude
//! Desktop extension, the logs folder.

/// Opens `what` (a link or a path) with the system's handler for it.
pub fn open(what: &str) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    let mut cmd = std::process::Command::new("xdg-open");
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(windows)]
    let mut cmd = {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    };
    cmd.arg(what)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}
