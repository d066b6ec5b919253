pub mod wiremock_graph;
