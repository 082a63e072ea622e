// Static files for the dashboard (include/infini/api.h): content types, index files, and no
// way out of the root directory (no "..", no NUL/backslash, no symlink leaving the root).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "infini/api.h"
#include "infini/log.h"

namespace infini {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string>& ContentTypes() {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},  {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".jpg", "image/jpeg"},                 {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                  {".ico", "image/x-icon"},
      {".webp", "image/webp"},                {".txt", "text/plain; charset=utf-8"},
      {".wav", "audio/wav"},                  {".woff2", "font/woff2"},
      {".map", "application/json"},
  };
  return kTypes;
}

std::string ContentTypeFor(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = ContentTypes().find(ext);
  return it == ContentTypes().end() ? "application/octet-stream" : it->second;
}

// True when `p` (canonical) lies inside `root` (canonical).
bool Inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

HttpHandler MakeStaticHandler(std::string dir, StaticOptions options) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::path(dir), ec);
  if (ec) root = fs::path(dir);
  std::string prefix = options.prefix.empty() ? "/" : options.prefix;
  if (prefix.back() != '/') prefix += '/';
  return [root, prefix, index = options.index](const HttpRequest& req) -> HttpResponse {
    if (req.method != "GET" && req.method != "HEAD") {
      HttpResponse r = HttpResponse::Error(405, "static files accept GET and HEAD only");
      r.headers["allow"] = "GET, HEAD";
      return r;
    }
    std::string path = req.path;
    if (path + "/" == prefix) path = prefix;  // "/dashboard" -> "/dashboard/"
    if (path.compare(0, prefix.size(), prefix) != 0)
      return HttpResponse::Error(404, "not found: " + req.path);
    std::string rel = path.substr(prefix.size());
    if (rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos)
      return HttpResponse::Error(400, "bad path: " + req.path);
    // Refuse any ".." (or ".") segment outright, before touching the file system.
    std::stringstream segments(rel);
    std::string seg;
    while (std::getline(segments, seg, '/')) {
      if (seg == ".." || seg == ".") return HttpResponse::Error(404, "not found: " + req.path);
    }
    fs::path file = root / rel;
    std::error_code e;
    if (rel.empty() || rel.back() == '/' || fs::is_directory(file, e)) file /= index;
    fs::path real = fs::canonical(file, e);
    if (e || !Inside(root, real) || !fs::is_regular_file(real, e))
      return HttpResponse::Error(404, "not found: " + req.path);
    std::ifstream in(real, std::ios::binary);
    if (!in) return HttpResponse::Error(404, "not found: " + req.path);
    std::ostringstream body;
    body << in.rdbuf();
    HttpResponse r;
    r.status = 200;
    r.content_type = ContentTypeFor(real);
    if (req.method == "GET") r.body = body.str();
    r.headers["cache-control"] = "no-cache";
    r.headers["x-content-type-options"] = "nosniff";
    // The dashboard loads nothing from other origins (no CDNs): the browser enforces it.
    r.headers["content-security-policy"] =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'";
    return r;
  };
}

}  // namespace infini
