// `infini token create`: adds an API user to the store and prints its bearer token once
// (only its hash is stored). Wiring only: the work is infini::CreateApiUser (infini/api.h).
#include <cstdio>

#include "commands.h"
#include "infini/api.h"
#include "infini/store.h"

namespace {

struct TokenFlags {
  std::string db;
  std::string role = "owner";
  std::string name = "owner";
  std::string organization;
};

int RunTokenCreate(const TokenFlags& f) {
  auto store = infini::Store::Open({.path = f.db});
  if (!store.ok()) {
    std::fprintf(stderr, "infini token create: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto token = infini::CreateApiUser(*store.value(), f.name, f.role, f.organization);
  if (!token.ok()) {
    std::fprintf(stderr, "infini token create: %s\n", token.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", token.value().c_str());
  std::fprintf(stderr, "created %s user '%s' in %s; the token above is shown only now "
                       "(use it as: Authorization: Bearer <token>)\n",
               f.role.c_str(), f.name.c_str(), f.db.c_str());
  return 0;
}

infini::host::RegisterCommand reg{{"token", 60, [](CLI::App& app) {
  auto flags = std::make_shared<TokenFlags>();
  auto* sub = app.add_subcommand("token", "API bearer tokens for the REST API and dashboard (docs/api.md).");
  sub->require_subcommand(1);
  auto* create = sub->add_subcommand("create", "Add a user and print its new bearer token (stdout, once).");
  create->add_option("--db", flags->db, "SQLite store (created if missing)")->required();
  create->add_option("--role", flags->role, "owner, staff or readonly")
      ->check(CLI::IsMember({"owner", "staff", "readonly"}));
  create->add_option("--name", flags->name, "The user's name, shown in the dashboard and logs");
  create->add_option("--organization", flags->organization, "Organization id (optional)");
  return [flags] { return RunTokenCreate(*flags); };
}}};

}  // namespace
