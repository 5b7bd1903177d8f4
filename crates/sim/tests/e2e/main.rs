//! probe
#[test]
fn probe_lock() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["build", "-p", "roster"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
}
