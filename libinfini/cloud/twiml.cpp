// TwiML documents (infini/twilio.h). In the cloud layer, below the server: the server's
// webhooks answer with them and the REST client (call control: transfer, hang up) sends
// them as a live call's new Twiml, so both build them here.
#include <string>

#include <fmt/format.h>

#include "core/xml.h"
#include "infini/twilio.h"

namespace infini {
namespace {

std::string_view XmlHead(bool declaration) {
  return declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" : "";
}

std::string SayTwiml(std::string_view say) {
  return say.empty() ? std::string() : fmt::format("<Say>{}</Say>", XmlEscape(say));
}

}  // namespace

std::string ConnectStreamTwiml(std::string_view stream_url,
                               const std::vector<std::pair<std::string, std::string>>& parameters,
                               std::string_view status_callback_url) {
  std::string out(XmlHead(true));
  out += "<Response><Connect><Stream url=\"" + XmlEscape(stream_url) + "\"";
  if (!status_callback_url.empty()) out += " statusCallback=\"" + XmlEscape(status_callback_url) + "\"";
  out += ">";
  for (const auto& [name, value] : parameters)
    out += "<Parameter name=\"" + XmlEscape(name) + "\" value=\"" + XmlEscape(value) + "\"/>";
  out += "</Stream></Connect></Response>";
  return out;
}

std::string DialTwiml(std::string_view target, std::string_view say, const DialTwimlOptions& options) {
  const std::string inner =
      target.rfind("sip:", 0) == 0 ? fmt::format("<Sip>{}</Sip>", XmlEscape(target)) : XmlEscape(target);
  std::string attrs;
  if (!options.action_url.empty()) attrs += " action=\"" + XmlEscape(options.action_url) + "\" method=\"POST\"";
  if (options.timeout_seconds > 0) attrs += fmt::format(" timeout=\"{}\"", options.timeout_seconds);
  return fmt::format("{}<Response>{}<Dial{}>{}</Dial></Response>", XmlHead(options.xml_declaration), SayTwiml(say),
                     attrs, inner);
}

std::string HangupTwiml(std::string_view say, bool xml_declaration) {
  return fmt::format("{}<Response>{}<Hangup/></Response>", XmlHead(xml_declaration), SayTwiml(say));
}

}  // namespace infini
