use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, param = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    long: String,
    #[pingback(own)]
    a_field_name_that_goes_on_and_on_well_past_what_a_parameter_may_be: String,
}

fn main() {}
