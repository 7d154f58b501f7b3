# Turns one text file into a C array (NAME, NAME_size) so the binary needs
# no file at run time: the status page (gateway/status_page.html). Run by
# the build; emitted as a hex byte list so no quoting can go wrong.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
get_filename_component(source ${IN} NAME)
file(WRITE ${OUT}.tmp "/* Generated from ${source} by cmake/embed_file.cmake. Do not edit. */\n#include <stddef.h>\n\nconst char ${NAME}[] = {${hex}0x00};\nconst size_t ${NAME}_size = ${size};\n")
file(RENAME ${OUT}.tmp ${OUT})
