#pragma once

namespace dvsync::cli {

// Parses the command line and runs the command; returns the process exit code.
int main(int argc, char** argv);

}  // namespace dvsync::cli
