// Splits a shell executor `command` into argv when `shell` is not "true",
// the way Dkron does with github.com/mattn/go-shellwords (v1.0.14, with
// environment and backtick expansion off, as Dkron uses it):
//   - words are separated by space, tab, CR and LF outside quotes;
//   - '...' keeps everything literally; "..." keeps spaces and quotes, and
//     a backslash inside it escapes the next character; '' and "" make an
//     empty word;
//   - outside single quotes a backslash escapes the next character, with
//     go-shellwords' quirk that \t and \n become a tab and a newline;
//   - `...` and $(...) keep their text (and spaces) literally, unexpanded;
//     a '(' not after '$', or a ')' that closes nothing, is an error.
// One difference (docs/executors.md): go-shellwords stops at the first
// unquoted ; & | < > and Dkron silently runs only the words before it
// (`echo hi > f` runs `echo hi`); here that is an error that says to set
// shell to "true".
//
// Thread safety: pure function.
#ifndef CKRON_EXECUTOR_BUILTIN_SHELLWORDS_H_
#define CKRON_EXECUTOR_BUILTIN_SHELLWORDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ckron::executor {

// The words of `line`; empty for a blank line. Errors (kInvalidArgument):
// "invalid command line string" (go-shellwords' message: an unclosed quote,
// a trailing backslash, a stray parenthesis), or the shell-operator error.
Result<std::vector<std::string>> SplitShellWords(std::string_view line);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_SHELLWORDS_H_
