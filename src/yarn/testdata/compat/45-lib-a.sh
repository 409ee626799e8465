# A shell library: defines a function and sets a variable at top level.
yarn_compat_hello() {
    echo hello
}
YARN_COMPAT_LIB_LOADED=yes
