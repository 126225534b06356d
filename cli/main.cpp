// hearth: the command line. Thin: parses flags (CLI11) and calls the libraries.
#include "cli/verify_export.hpp"
#include "crypto/encoding.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/control.hpp"
#include "server/directory.hpp"
#include "server/forum/directory_client.hpp"
#include "server/validation.hpp"
#include "server/server.hpp"
#include "server/staff_common.hpp"
#include "storage/stores.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
using namespace hearth;

namespace {

constexpr int exit_usage = 2;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string first_line(fs::path const& file, char const* what) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + " " + file.string());
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void progress(std::string_view line) { std::cerr << line << "\n"; }

struct common_opts {
  fs::path data;
  fs::path config_file;
};

server::config load_config(fs::path const& file) {
  server::config cfg;
  if (!file.empty()) server::load_config_file(file, cfg);
  return cfg;
}

void require_initialised(fs::path const& data) {
  if (!storage::is_initialised(data))
    throw std::runtime_error(data.string() + " is not an initialised hearth data directory; run `hearth init --data " +
                             data.string() + "` first");
}

// ---------------------------------------------------------------- commands

struct init_opts {
  std::string role = "all";
  std::string issuer = "hearth-local";
  std::string admin = "admin";
  fs::path admin_password_file;
  std::string issuer_url;   // forum role
  std::string master_key;   // forum role: the issuer's master public key, base64url
};

// The first admin of the role's staff store.
void add_first_admin(storage::data_dir& dir, server::config const& cfg, std::string const& admin,
                     std::string const& password) {
  storage::staff_record rec;
  rec.username = admin;
  rec.role = storage::staff_role::admin;
  auto hash = crypto::hash_password(password, server::argon2_params(cfg));
  if (!hash) throw std::runtime_error("cannot hash the admin password");
  rec.password_hash = *hash;
  if (auto a = dir.staff().add_staff(rec); !a) throw std::runtime_error("cannot create the admin account");
}

int cmd_init(common_opts const& o, init_opts const& io) {
  auto const role = storage::parse_role(io.role);
  if (!role) throw std::runtime_error("--role must be all, issuer or forum");
  if (!server::valid_staff_username(io.admin)) throw std::runtime_error("--admin must match ^[A-Za-z0-9_.-]{1,64}$");
  if (io.issuer.empty() || io.issuer.size() > 64 || io.issuer.find('\n') != std::string::npos)
    throw std::runtime_error("--issuer must be 1..64 characters on one line");
  bool const forum_only = *role == storage::role::forum;
  if (forum_only && (io.issuer_url.empty() || io.master_key.empty()))
    throw std::runtime_error("--role forum needs --issuer-url URL and --master-key B64URL (the issuer's master "
                             "public key, printed by `hearth init` or `hearth keys show` on the issuer)");
  if (!forum_only && (!io.issuer_url.empty() || !io.master_key.empty()))
    throw std::runtime_error("--issuer-url and --master-key are for --role forum only");
  std::string password;
  bool generated = false;
  if (!io.admin_password_file.empty()) {
    password = first_line(io.admin_password_file, "password file");
    if (auto problem = server::password_problem(password)) throw std::runtime_error("the admin password: " + *problem);
  } else {
    password = crypto::base64url_encode(crypto::random_bytes(18));
    generated = true;
  }
  auto cfg = load_config(o.config_file);
  if (storage::is_initialised(o.data))
    throw std::runtime_error(o.data.string() + " is already initialised; use another directory or `hearth serve`");

  // A forum pins its issuer: the directory must verify under the given key
  // now, before anything is created.
  std::shared_ptr<server::directory_snapshot const> fetched;
  crypto::bytes master;
  if (forum_only) {
    auto m = crypto::base64url_decode(io.master_key);
    if (!m || m->size() != 32) throw std::runtime_error("--master-key must be 32 bytes of base64url (43 characters)");
    master = *m;
    std::cerr << "fetching the issuer's key directory from " << io.issuer_url << "/v1/keys ...\n";
    auto text = server::fetch_directory_text(io.issuer_url, std::chrono::seconds(10));
    auto snap = server::parse_directory(text, master);
    if (!snap)
      throw std::runtime_error("the directory at " + io.issuer_url + "/v1/keys does not verify under --master-key (" +
                               std::string(protocol_code(snap.error())) + "): check the key with the issuer's operator");
    fetched = *snap;
  }

  std::error_code ec;
  fs::create_directories(o.data, ec);
  if (ec) throw std::runtime_error("cannot create " + o.data.string() + ": " + ec.message());
  storage::store_options so;
  so.time_granularity = cfg.time_granularity;
  auto dir = storage::create(o.data, *role, so);
  if (forum_only) {
    if (auto p = dir->forum()->set_pinned({master, io.issuer_url}); !p) throw std::runtime_error("cannot pin the issuer");
    if (auto c = dir->forum()->save_directory_copy(fetched->json, fetched->seq); !c)
      throw std::runtime_error("cannot keep the issuer's directory");
  } else {
    server::write_instance(o.data, {io.issuer});
    std::cerr << "generating the first RSA-" << cfg.key_bits << " signing key...\n";
    auto r = server::initialise_directory(*dir->issuer(), {cfg.key_bits, cfg.issue_days, cfg.accept_days}, unix_now());
    if (!r) throw std::runtime_error("cannot create the key directory: " + std::string(protocol_code(r.error())));
  }
  add_first_admin(*dir, cfg, io.admin, password);
  if (auto s = dir->sync(); !s) throw std::runtime_error("cannot sync the new stores");

  std::cout << "initialised " << o.data.string() << " (role " << io.role << ", issuer "
            << (forum_only ? fetched->issuer : io.issuer) << ")\n";
  if (forum_only) {
    std::cout << "pinned issuer " << io.issuer_url << " (directory seq " << fetched->seq << ")\n";
  } else {
    auto snap = server::load_directory(*dir->issuer(), io.issuer);
    if (snap) std::cout << "master key: " << (*snap)->master_key << "   (give it to the forum's operator)\n";
  }
  std::cout << "admin username: " << io.admin << "\n";
  if (generated) std::cout << "admin password: " << password << "   (shown once; keep it safe)\n";
  return 0;
}

int cmd_serve(common_opts const& o, std::string const& listen, fs::path const& web) {
  auto cfg = load_config(o.config_file);
  if (!listen.empty()) cfg.listen = listen;
  if (!web.empty()) cfg.web_dir = web;
  if (!cfg.web_dir.empty() && !fs::is_regular_file(cfg.web_dir / "index.html"))
    spdlog::warn("{} has no index.html; build the web client (cd web && npm ci && npm run build)", cfg.web_dir.string());
  require_initialised(o.data);
  server::app a(cfg, o.data);
  return server::serve(a, [](std::string const& url) {
    std::cout << "hearth listening on " << url << std::endl;
  });
}

std::vector<std::string> read_roster_csv(fs::path const& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<std::string> ids;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto const comma = line.find(',');
    std::string id = line.substr(0, comma);
    while (!id.empty() && id.back() == ' ') id.pop_back();
    while (!id.empty() && id.front() == ' ') id.erase(id.begin());
    if (id.size() >= 2 && id.front() == '"' && id.back() == '"') id = id.substr(1, id.size() - 2);
    if (id.empty() || id[0] == '#') continue;
    if (n == 1 && (id == "employee_id" || id == "id")) continue;  // header row
    if (!server::valid_employee_id(id))
      throw std::runtime_error(file.string() + ":" + std::to_string(n) + ": not a valid employee id");
    ids.push_back(id);
  }
  return ids;
}

int cmd_roster_import(common_opts const& o, fs::path const& csv, fs::path const& out_file) {
  require_initialised(o.data);
  auto ids = read_roster_csv(csv);
  if (ids.empty()) throw std::runtime_error(csv.string() + " lists no employee ids");
  auto dir = storage::open(o.data);
  if (!dir->issuer()) throw std::runtime_error(o.data.string() + " is a forum: the roster lives on the issuer");
  auto codes = server::import_roster(*dir->issuer(), ids);
  if (!codes) throw std::runtime_error("import failed: each employee id must be valid and appear once");
  std::ostringstream text;
  text << "employee_id,code\n";
  for (auto const& [id, code] : *codes) text << id << "," << code << "\n";
  if (out_file.empty()) {
    std::cout << text.str();
  } else {
    std::ofstream out(out_file, std::ios::trunc);
    out << text.str();
    if (!out) throw std::runtime_error("cannot write " + out_file.string());
    fs::permissions(out_file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  }
  std::cerr << "imported " << codes->size() << " employee(s); hand each their code: it works once\n";
  return 0;
}

// A staff password: the first line of pw_file, or generated (and then to be
// printed once) when no file is given.
struct new_staff_password {
  std::string password;
  bool generated = false;
};

new_staff_password staff_password(fs::path const& pw_file) {
  new_staff_password p;
  if (!pw_file.empty()) p.password = first_line(pw_file, "password file");
  else {
    p.password = crypto::base64url_encode(crypto::random_bytes(18));
    p.generated = true;
  }
  if (auto problem = server::password_problem(p.password)) throw std::runtime_error("the password: " + *problem);
  return p;
}

std::string staff_password_hash(std::string const& password, server::config const& cfg) {
  auto hash = crypto::hash_password(password, server::argon2_params(cfg));
  if (!hash) throw std::runtime_error("cannot hash the password");
  return *hash;
}

void audit_from_command_line(storage::staff_store& staff, std::string action, std::string target, std::string detail) {
  storage::audit_entry e;
  e.at = unix_now();
  e.actor = "(command line)";
  e.actor_role = storage::staff_role::admin;
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail);
  (void)staff.append_audit(std::move(e));  // the change is made either way; a missing entry is not fatal
}

int cmd_staff_add(common_opts const& o, std::string const& username, std::string const& role, fs::path const& pw_file) {
  if (!server::valid_staff_username(username)) throw std::runtime_error("--username must match ^[A-Za-z0-9_.-]{1,64}$");
  if (role != "moderator" && role != "admin") throw std::runtime_error("--role must be moderator or admin");
  require_initialised(o.data);
  auto cfg = load_config(o.config_file);
  auto [password, generated] = staff_password(pw_file);
  auto dir = storage::open(o.data);
  storage::staff_record rec;
  rec.username = username;
  rec.role = role == "admin" ? storage::staff_role::admin : storage::staff_role::moderator;
  rec.password_hash = staff_password_hash(password, cfg);
  auto r = dir->staff().add_staff(rec);
  if (!r) throw std::runtime_error("a staff account named " + username + " exists already");
  audit_from_command_line(dir->staff(), "staff.add", username, role);
  std::cout << "added " << role << " " << username << "\n";
  if (generated) std::cout << "password: " << password << "   (shown once)\n";
  return 0;
}

// `hearth staff passwd`: sets a staff account's password (a forgotten one,
// or the first admin's printed one), offline like `staff add`.
int cmd_staff_passwd(common_opts const& o, std::string const& username, fs::path const& pw_file) {
  if (!server::valid_staff_username(username)) throw std::runtime_error("--username must match ^[A-Za-z0-9_.-]{1,64}$");
  require_initialised(o.data);
  auto cfg = load_config(o.config_file);
  auto [password, generated] = staff_password(pw_file);
  auto dir = storage::open(o.data);
  if (!dir->staff().staff(username)) throw std::runtime_error("there is no staff account named " + username);
  if (!dir->staff().set_password(username, staff_password_hash(password, cfg)))
    throw std::runtime_error("cannot set the password of " + username);
  audit_from_command_line(dir->staff(), "staff.passwd", username, "");
  std::cout << "set the password of " << username << "\n";
  if (generated) std::cout << "password: " << password << "   (shown once)\n";
  return 0;
}

int cmd_keys_rotate(common_opts const& o, unsigned bits, double issue_days, double accept_days, std::string reason) {
  require_initialised(o.data);
  auto cfg = load_config(o.config_file);
  server::rotation r{bits ? bits : cfg.key_bits, issue_days > 0 ? issue_days : cfg.issue_days,
                     accept_days > 0 ? accept_days : cfg.accept_days};
  if (r.accept_days < r.issue_days) throw std::runtime_error("--accept-days must be at least --issue-days");
  auto dir = storage::open(o.data);
  if (!dir->issuer()) throw std::runtime_error(o.data.string() + " is a forum: keys are rotated on the issuer");
  auto const issuer = server::read_instance(o.data).issuer;
  auto before = server::load_directory(*dir->issuer(), issuer);
  if (!before) throw std::runtime_error("cannot read the key directory");
  if (auto problem = server::rotation_problem(**before, r, cfg.min_key_window_days, unix_now()))
    throw std::runtime_error(*problem);
  std::cerr << "generating a new RSA-" << r.bits << " signing key...\n";
  auto res = server::rotate_keys(*dir->issuer(), r, unix_now());
  if (!res) throw std::runtime_error("rotation failed: " + std::string(protocol_code(res.error())));
  auto snap = server::load_directory(*dir->issuer(), issuer);
  if (!snap) throw std::runtime_error("cannot read the new directory");
  auto const* active = (*snap)->active();
  if (auto* forum = dir->forum()) {  // one process (`all`): the public moderation log is here too
    storage::modlog_entry m;
    m.action = "keys.rotate";
    m.target = active ? active->key_id : "";
    m.reason = reason.empty() ? "rotated from the command line" : reason;
    m.actor_role = "admin";
    if (auto w = forum->append_modlog(std::move(m), unix_now()); !w)
      throw std::runtime_error("the key rotated, but writing the moderation log failed");
  }
  std::cout << "active key " << (active ? active->key_id : "?") << " (epoch " << (active ? active->epoch : 0)
            << "), directory seq " << (*snap)->seq << "\n";
  return 0;
}

int cmd_keys_show(common_opts const& o) {
  require_initialised(o.data);
  auto dir = storage::open(o.data);
  if (dir->issuer()) {
    auto snap = server::load_directory(*dir->issuer(), server::read_instance(o.data).issuer);
    if (!snap) throw std::runtime_error("cannot read the key directory");
    std::cout << "issuer " << (*snap)->issuer << "\nmaster key: " << (*snap)->master_key << "\ndirectory seq "
              << (*snap)->seq << "\n";
    for (auto const& k : (*snap)->keys)
      std::cout << "  epoch " << k.epoch << "  " << server::key_state_name(k.state) << "  " << k.key_id << "\n";
    return 0;
  }
  auto pinned = dir->forum()->pinned();
  auto copy = dir->forum()->directory_copy();
  if (!pinned || !*pinned || !copy || !*copy) throw std::runtime_error("this forum has no pinned issuer");
  auto snap = server::parse_directory(**copy, (*pinned)->master_pk);
  if (!snap) throw std::runtime_error("the kept directory does not verify");
  std::cout << "pinned issuer " << (*pinned)->issuer_url << "\nmaster key: " << (*snap)->master_key
            << "\ndirectory seq " << (*snap)->seq << " (the last verified copy)\n";
  for (auto const& k : (*snap)->keys)
    std::cout << "  epoch " << k.epoch << "  " << server::key_state_name(k.state) << "  " << k.key_id << "\n";
  return 0;
}

int cmd_scrub(common_opts const& o) {
  require_initialised(o.data);
  if (auto online = server::control_request(o.data, "scrub")) {
    std::cout << "the running server " << *online << "\n";
    return 0;
  }
  auto dir = storage::open(o.data);
  if (auto r = dir->scrub(); !r) throw std::runtime_error("the scrub failed");
  std::cout << "scrubbed " << o.data.string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("hearth");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S %l %v");

  CLI::App cli{"hearth: a self-hosted forum where employees speak under pseudonyms nobody can link to them.\n"
               "Employees prove employment on /v1/issuer and receive a blind signature on a pseudonym key;\n"
               "the forum certifies the pseudonym without learning whose it is.",
               "hearth"};
  cli.require_subcommand(1);
  cli.fallthrough();  // --log-level may follow the subcommand too
  cli.set_version_flag("--version", "hearth 0.1.0");
  std::string log_level = "info";
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  common_opts o;
  auto add_data = [&](CLI::App* sc) {
    sc->add_option("--data", o.data, "the data directory (holds issuer/, forum/ or both, by role)")->required();
  };
  auto add_config = [&](CLI::App* sc) {
    sc->add_option("--config", o.config_file, "a TOML settings file (see docs/configuration.md)")->check(CLI::ExistingFile);
  };

  init_opts io;
  auto init = cli.add_subcommand("init", "initialise a data directory for a role: its store(s), keys and first admin");
  init->footer(
      "Roles (PROTOCOL.md §10):\n"
      "  all     (default) issuer and forum in one process: both stores, the master key, the first signing key\n"
      "  issuer  the employer's side: the issuer store, the master key and the signing keys\n"
      "  forum   the pseudonymous side, run by another party: the forum store and the issuer's pinned master key\n"
      "          (needs --issuer-url and --master-key; the issuer must be reachable)");
  add_data(init);
  add_config(init);
  init->add_option("--role", io.role, "all, issuer or forum")->capture_default_str()->check(
      CLI::IsMember({"all", "issuer", "forum"}));
  init->add_option("--issuer", io.issuer, "the issuer name signed into every signature (issuer and all)")
      ->capture_default_str();
  init->add_option("--admin", io.admin, "the first admin's username")->capture_default_str();
  init->add_option("--admin-password-file", io.admin_password_file,
                   "read the admin password from this file's first line (without it a random one is printed once)")
      ->check(CLI::ExistingFile);
  init->add_option("--issuer-url", io.issuer_url, "forum: the issuer's base URL, e.g. https://issuer.example.com");
  init->add_option("--master-key", io.master_key, "forum: the issuer's master public key (base64url), from its operator");

  std::string listen;
  fs::path web;
  auto serve = cli.add_subcommand("serve", "run the server in the foreground until SIGINT/SIGTERM");
  add_data(serve);
  add_config(serve);
  serve->add_option("--listen", listen, "HOST:PORT to listen on (PORT 0 picks a free port; default 127.0.0.1:8080)");
  serve->add_option("--web", web, "the built web client to serve (web/dist)");

  auto roster = cli.add_subcommand("roster", "manage the employee roster (offline: stop the server first)");
  roster->require_subcommand(1);
  fs::path csv, codes_out;
  auto roster_import = roster->add_subcommand("import", "import employee ids from a CSV file (first column) and print "
                                                        "their one-time enrollment codes");
  add_data(roster_import);
  roster_import->add_option("file", csv, "CSV file: one employee id per line in the first column")
      ->required()
      ->check(CLI::ExistingFile);
  roster_import->add_option("--out", codes_out, "write the codes to this CSV file (mode 0600) instead of stdout");

  auto staff = cli.add_subcommand("staff", "manage staff accounts (offline: stop the server first)");
  staff->require_subcommand(1);
  std::string username, role = "moderator";
  fs::path staff_pw;
  auto staff_add = staff->add_subcommand("add", "add a moderator or admin");
  add_data(staff_add);
  add_config(staff_add);
  staff_add->add_option("--username", username, "the account name")->required();
  staff_add->add_option("--role", role, "moderator or admin")->capture_default_str();
  staff_add->add_option("--password-file", staff_pw, "read the password from this file's first line (else one is "
                                                      "generated and printed once)")
      ->check(CLI::ExistingFile);
  auto staff_passwd = staff->add_subcommand("passwd", "set a staff account's password");
  add_data(staff_passwd);
  add_config(staff_passwd);
  staff_passwd->add_option("--username", username, "the account name")->required();
  staff_passwd->add_option("--password-file", staff_pw, "read the new password from this file's first line (else "
                                                         "one is generated and printed once)")
      ->check(CLI::ExistingFile);

  auto keys = cli.add_subcommand("keys", "manage the signing keys (offline: stop the server first)");
  keys->require_subcommand(1);
  unsigned bits = 0;
  double issue_days = 0, accept_days = 0;
  std::string reason;
  auto keys_rotate = keys->add_subcommand("rotate", "make a new active key; the old one is retired (still accepted "
                                                    "until its accept_until)");
  add_data(keys_rotate);
  add_config(keys_rotate);
  keys_rotate->add_option("--bits", bits, "2048, 3072 or 4096 (default from config: 2048)")
      ->check(CLI::IsMember({2048u, 3072u, 4096u}));
  keys_rotate->add_option("--issue-days", issue_days, "days tokens are issued under the new key")->check(CLI::PositiveNumber);
  keys_rotate->add_option("--accept-days", accept_days, "days its tokens are accepted")->check(CLI::PositiveNumber);
  keys_rotate->add_option("--reason", reason, "recorded in the public moderation log");

  auto keys_show = keys->add_subcommand("show", "print the master public key (for the forum's operator) and the keys");
  add_data(keys_show);

  auto scrub = cli.add_subcommand("scrub", "erase the order of recent writes from the stores now (a running server "
                                           "does it itself; it also does it every storage.scrub_interval)");
  add_data(scrub);

  fs::path backup_to, restore_from;
  auto backup = cli.add_subcommand("backup", "copy both stores consistently into a new directory (a running server makes the copy itself)");
  add_data(backup);
  backup->add_option("--to", backup_to, "the backup directory (must not exist)")->required();
  auto restore = cli.add_subcommand("restore", "replace a data directory's stores with a backup (server stopped)");
  add_data(restore);
  restore->add_option("--from", restore_from, "a directory written by `hearth backup`")->required()->check(CLI::ExistingDirectory);

  fs::path export_file;
  std::optional<std::string> export_master_key;
  auto verify_export = cli.add_subcommand("verify-export", "check, offline, every signature of a pseudonym's export "
                                                           "file against the key directory it carries");
  verify_export->add_option("FILE", export_file, "the file saved by \"Export my posts\"")->required();
  verify_export->add_option("--master-key", export_master_key,
                            "the issuer's master public key (base64url) to check the directory against, instead "
                            "of the one in the file");

  try {
    cli.parse(argc, argv);
  } catch (CLI::CallForHelp const& e) {
    return cli.exit(e);
  } catch (CLI::CallForAllHelp const& e) {
    return cli.exit(e);
  } catch (CLI::CallForVersion const& e) {
    return cli.exit(e);
  } catch (CLI::ParseError const& e) {
    std::cerr << "hearth: " << e.what() << "\n\n";
    // Show the usage of the subcommand that was being parsed.
    CLI::App const* where = &cli;
    for (auto const* sc : cli.get_subcommands()) {
      where = sc;
      for (auto const* sub : sc->get_subcommands()) where = sub;
    }
    std::cerr << where->help();
    return exit_usage;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  try {
    crypto::init();
    if (*verify_export) return cli::verify_export(export_file, export_master_key, std::cout, std::cerr);
    if (*init) return cmd_init(o, io);
    if (*serve) return cmd_serve(o, listen, web);
    if (*roster_import) return cmd_roster_import(o, csv, codes_out);
    if (*staff_add) return cmd_staff_add(o, username, role, staff_pw);
    if (*staff_passwd) return cmd_staff_passwd(o, username, staff_pw);
    if (*keys_rotate) return cmd_keys_rotate(o, bits, issue_days, accept_days, reason);
    if (*keys_show) return cmd_keys_show(o);
    if (*scrub) return cmd_scrub(o);
    if (*backup) {
      require_initialised(o.data);
      // A running server holds the stores open: it makes the copy itself.
      if (auto online = server::request_online_backup(o.data, backup_to)) {
        std::cout << "the running server " << *online << "\n";
        return 0;
      }
      storage::backup(o.data, backup_to, progress);
      if (fs::exists(o.data / "instance.toml")) fs::copy_file(o.data / "instance.toml", backup_to / "instance.toml");
      std::cout << "backed up " << o.data.string() << " to " << backup_to.string() << "\n";
      return 0;
    }
    if (*restore) {
      storage::restore(restore_from, o.data, progress);
      if (fs::exists(restore_from / "instance.toml"))
        fs::copy_file(restore_from / "instance.toml", o.data / "instance.toml", fs::copy_options::overwrite_existing);
      std::cout << "restored " << o.data.string() << " from " << restore_from.string() << "\n";
      return 0;
    }
  } catch (std::exception const& e) {
    std::cerr << "hearth: " << e.what() << "\n";
    return 1;
  }
  return exit_usage;
}
