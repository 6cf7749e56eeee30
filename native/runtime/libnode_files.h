// Debian's libnode108 reads part of its builtin JavaScript from other
// packages' files (node-acorn, node-cjs-module-lexer, node-undici) at fixed
// paths, and aborts the process when one is missing. The paths come from
// libnode-dev's config.gypi at build time (DVDI_LIBNODE_BUILTIN_FILES).
#ifndef DVDI_LIBNODE_FILES_H
#define DVDI_LIBNODE_FILES_H

#include <string>

namespace dvdi {

// The first of the colon-separated files that cannot be read, or "".
std::string first_unreadable(const std::string& colon_separated);

// A one-line reason when a builtin file of libnode is missing, or "".
std::string missing_libnode_file();

}  // namespace dvdi

#endif
