//! Parameter parsing on arbitrary bytes: never a panic, and what parses is
//! consistent: every parameter is found by name, and encoding the
//! parameters again parses to the same parameters.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pw_runtime::{Limits, Params};

fuzz_target!(|input: &[u8]| {
    let tight = Limits {
        max_parameters: 16,
        max_bytes: 512,
    };
    for limits in [Limits::default(), tight] {
        let Ok(params) = Params::parse(input, &limits) else {
            continue;
        };
        let all: Vec<_> = params.iter().collect();
        assert_eq!(all.len(), params.len());
        for param in &all {
            assert!(params.contains(param.name), "{param:?} not found by name");
            match param.key {
                None => assert_eq!(params.get(param.name), Some(param.value)),
                Some(key) => {
                    let mut elements = params.get_array(param.name).expect("an array");
                    assert!(elements.any(|(k, v)| k == key && v == param.value), "{param:?}");
                }
            }
        }
        let unlimited = Limits {
            max_parameters: usize::MAX,
            max_bytes: usize::MAX,
        };
        let again = Params::parse(params.to_query_string().as_bytes(), &unlimited)
            .expect("encoded parameters parse");
        assert_eq!(again.iter().collect::<Vec<_>>(), all, "encoding changed the parameters");
    }
});
