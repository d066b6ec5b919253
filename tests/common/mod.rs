pub mod bin;
pub mod sim_night;
pub mod wiremock_graph;
