use pw_runtime::Pingback;

// A type of the user's named like pw's `Reference` is judged by what it
// implements, not by its name: this one does not say it holds text.
mod crm {
    pub struct Reference(pub String);

    impl pw_runtime::value::ToValue for Reference {
        fn to_value(&self) -> String {
            self.0.clone()
        }
    }
}

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    crm_ref: crm::Reference,
}

fn main() {}
