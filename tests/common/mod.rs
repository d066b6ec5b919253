pub mod bin;
pub mod config_text;
pub mod sim_night;
pub mod wiremock_graph;
