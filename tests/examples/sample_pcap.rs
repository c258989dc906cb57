//! Writes `bpf-src/sample.pcap` (see `rtc_tests::sample`):
//! `cargo run -p rtc-tests --example sample_pcap`.

fn main() -> std::io::Result<()> {
    let path = rtc_tests::workspace_root().join("bpf-src/sample.pcap");
    rtc_tests::sample::write(&path)?;
    println!("wrote {}", path.display());
    Ok(())
}
