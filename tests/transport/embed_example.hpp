// The functions of embed_example.cpp, for its test.
#pragma once

#include <stop_token>
#include <string>

#include "lanlord/node.hpp"

int run_billing_service(lanlord::NodeConfig config, std::stop_token stop);
lanlord::NodeConfig billing_config(std::string id);
