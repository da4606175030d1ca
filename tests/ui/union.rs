use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
union Purchase {
    gems: u32,
}

fn main() {}
