#include "envctl/spec/diagnostic.hpp"

namespace envctl::spec {

std::string Warning::to_string() const {
    Error as_error{ErrorKind::Input, message, location, {}};
    return as_error.to_string();
}

}  // namespace envctl::spec
