// rocks_dump: what a reader of a copied RocksDB directory can see, as JSON
// lines on stdout. It opens the copy read-only (replaying its WAL into
// memtables, as any reader would) and prints, for every column family:
//
//   {"kind":"version","cf":...,"key":HEX,"value":HEX,"seq":N,"type":T}
//       every internal version of every key (rocksdb/utilities/debug.h
//       GetAllKeyVersions), so sequence numbers that survive are visible;
//   {"kind":"file","cf":...,"file":N,"level":L,"smallest_seq":..,...}
//       every live SST file with its sequence range and the times RocksDB
//       writes into it (table properties);
//   {"kind":"member","file":N,"key":HEX}
//       which keys each SST file holds (a key's file is an order too).
//
// Usage: rocks_dump DB_DIR. Exit 0 on success, 1 with a message on stderr.
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/utilities/debug.h>

#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

std::string hex(std::string const& s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Column family names are RocksDB identifiers chosen by hearth (ASCII, no
// quotes), but escape anyway so the output is always valid JSON.
std::string json_string(std::string const& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// Replaying a WAL that holds merge operands needs a merge operator, or the
// replay stops at the first one. The dump never merges (it lists operands as
// they are), so any operator will do; this one keeps the newest operand.
class keep_newest final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(rocksdb::Slice const&, rocksdb::Slice const*, rocksdb::Slice const& value, std::string* new_value,
             rocksdb::Logger*) const override {
    new_value->assign(value.data(), value.size());
    return true;
  }
  char const* Name() const override { return "rocks_dump.keep_newest"; }
};

int fail(std::string const& what, rocksdb::Status const& s) {
  std::cerr << "rocks_dump: " << what << ": " << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rocks_dump DB_DIR\n";
    return 2;
  }
  std::string const path = argv[1];

  rocksdb::Options options;
  options.merge_operator = std::make_shared<keep_newest>();
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(options, path, &names);
  if (!s.ok()) return fail("list column families of " + path, s);

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto const& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions(options));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, path, descs, &handles, &raw);
  if (!s.ok()) return fail("open " + path, s);
  std::unique_ptr<rocksdb::DB> db(raw);

  int rc = 0;
  for (std::size_t i = 0; i < handles.size() && rc == 0; ++i) {
    std::vector<rocksdb::KeyVersion> versions;
    s = rocksdb::GetAllKeyVersions(db.get(), handles[i], rocksdb::Slice(), rocksdb::Slice(),
                                   std::numeric_limits<std::size_t>::max(), &versions);
    if (!s.ok()) {
      rc = fail("key versions of " + names[i], s);
      break;
    }
    for (auto const& v : versions) {
      std::cout << "{\"kind\":\"version\",\"cf\":" << json_string(names[i]) << ",\"key\":\"" << hex(v.user_key)
                << "\",\"value\":\"" << hex(v.value) << "\",\"seq\":" << v.sequence << ",\"type\":" << v.type
                << "}\n";
    }
  }

  std::vector<rocksdb::LiveFileMetaData> files;
  if (rc == 0) db->GetLiveFilesMetaData(&files);
  for (auto const& f : files) {
    std::string const file_path = f.directory + "/" + f.relative_filename;
    rocksdb::SstFileReader reader(options);
    s = reader.Open(file_path);
    if (!s.ok()) {
      rc = fail("open " + file_path, s);
      break;
    }
    auto props = reader.GetTableProperties();
    std::cout << "{\"kind\":\"file\",\"cf\":" << json_string(f.column_family_name) << ",\"file\":" << f.file_number
              << ",\"name\":" << json_string(f.relative_filename) << ",\"level\":" << f.level
              << ",\"size\":" << f.size << ",\"smallest_seq\":" << f.smallest_seqno
              << ",\"largest_seq\":" << f.largest_seqno << ",\"entries\":" << (props ? props->num_entries : 0)
              << ",\"creation_time\":" << (props ? props->creation_time : 0)
              << ",\"oldest_key_time\":" << (props ? props->oldest_key_time : 0)
              << ",\"file_creation_time\":" << (props ? props->file_creation_time : 0)
              << ",\"oldest_ancester_time\":" << f.oldest_ancester_time << "}\n";
    // The keys the file holds (their latest version in the file).
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      std::cout << "{\"kind\":\"member\",\"file\":" << f.file_number << ",\"key\":\"" << hex(it->key().ToString())
                << "\"}\n";
    if (!it->status().ok()) {
      rc = fail("read " + file_path, it->status());
      break;
    }
  }

  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  s = db->Close();
  if (rc == 0 && !s.ok()) return fail("close " + path, s);
  std::cout.flush();
  return rc == 0 && std::cout ? 0 : 1;
}
