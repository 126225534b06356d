// roster.import {employees} -> {codes} and roster.remove {employee_id} -> {}
// (PROTOCOL.md §7, admin; roster mode only).
#include "server/staff/ops.hpp"

#include "server/issuer/ops.hpp"

#include "server/staff_common.hpp"

namespace hearth::server::staff {

namespace {
constexpr std::size_t max_roster_import = 100000;
}

void op_roster_import(call_ptr<issuer_service> const& c) {
  fields f(c->body);
  auto const& arr = f.array("employees");
  if (arr.size() > max_roster_import) fail(errc::too_large, "import at most 100000 employees per call");
  std::vector<std::string> ids;
  ids.reserve(arr.size());
  for (auto const& v : arr) {
    if (!v.is_string()) fail(errc::bad_request, "field 'employees' must be an array of strings");
    ids.emplace_back(v.as_string());
  }
  auto const by = require(*c, storage::staff_role::admin);
  if (c->ctx.cfg().auth != employer_auth::roster)
    fail(errc::bad_request, "this server authenticates employees through its proxy; it has no roster");
  run(pool::blocking, c, [c, by, ids = std::move(ids)] {
    auto codes = check(import_roster(c->ctx.store(), ids),
                       "every employee id must be 1..128 printable characters and appear once");
    json::object out;
    for (auto& [id, code] : codes) out[id] = code;
    audit(*c, c->ctx.staff(), by, "roster.import", std::to_string(ids.size()) + " employees");
    return json::object{{"codes", std::move(out)}};
  });
}

void op_roster_remove(call_ptr<issuer_service> const& c) {
  fields f(c->body);
  auto id = issuer::employee_id_field(f);
  auto const by = require(*c, storage::staff_role::admin);
  run_then(
      pool::blocking, c,
      [c, by, id] {
        check(c->ctx.store().remove_employee(id), "no such employee on the roster");
        audit(*c, c->ctx.staff(), by, "roster.remove", id);
        return json::object{};
      },
      // Once the removal is durable, the employee's issuer sessions end.
      [c, id](json::object&) {
        c->ctx.employee_sessions().close(id, "removed from the roster",
                                         [](connection& k) { k.issuer().employee_id.clear(); });
      });
}

}  // namespace hearth::server::staff
