// Private to the front ends: what kind of socket a descriptor is.
#pragma once

namespace latchkey {

// A bound, listening SOCK_STREAM socket (what a FastCGI server is handed), as opposed to a
// connected one (what mod_cgid gives a CGI program as stdin).
bool isListeningStreamSocket(int fd);

}  // namespace latchkey
