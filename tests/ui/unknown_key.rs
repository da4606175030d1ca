use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", min_verison = 2)]
struct Purchase {
    #[pingback(own, parm = "c")]
    campaign: String,
}

fn main() {}
