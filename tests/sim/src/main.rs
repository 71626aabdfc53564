fn main() {
    println!("crmwire-sim: not built yet");
}
