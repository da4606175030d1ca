//! Every compile-time rule of `#[derive(Pingback)]` has a case in `ui/`:
//! a small struct with one mistake, and the `.stderr` a user sees.

#[test]
fn each_mistake_is_a_helpful_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
