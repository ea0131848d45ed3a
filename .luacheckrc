-- luacheck: scripts/test checks lua/, spec/, examples/ and bench/ with it.
std = "lua54"
max_line_length = 130
unused_args = false -- handlers take what lutra passes, used or not
-- specs keep the values they assert on in the shape of the call
-- (`local out, err, code = H.lutra(...)`), used or not
files["spec"] = {std = "+busted", max_line_length = false, ignore = {"211", "221", "231", "311", "111/_", "122/io"}}
files["examples"] = {std = "+busted", globals = {"lutra"}}
files["bench"] = {globals = {"lutra"}, max_line_length = false}
