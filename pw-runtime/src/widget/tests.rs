//! Tests of the widget-call builder: each typed setter, the amount rule,
//! the defaults.
