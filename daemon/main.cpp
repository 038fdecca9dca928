// dvsync: wiring only; every command lives in daemon/cli/.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return dvsync::cli::main(argc, argv); }
