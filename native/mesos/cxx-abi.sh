# Sourced by the module's build and dist scripts: which std::string ABI a
# binary uses. GCC 5+ libraries with the new ABI name std::__cxx11 types in
# their symbols; those of GCC 4.x (and -D_GLIBCXX_USE_CXX11_ABI=0) never do.

# Prints 1 (new ABI) or 0 (old) for a shared library or module.
cxx11_abi_of() {
  if nm -D "$1" | grep -q __cxx11; then echo 1; else echo 0; fi
}

# The name used in messages and tarball names.
abi_name() {
  if [ "$1" = 1 ]; then echo cxx11; else echo gcc4; fi
}
