// What a simulated caller listens for in a receptionist's speech: biases the caller's own
// recognizer (in-process VoiceSimulation and the networked RemoteCall share it).
#pragma once

#include <string>
#include <vector>

namespace infini::telephony {

std::vector<std::string> ReceptionistPhrases();

}  // namespace infini::telephony
