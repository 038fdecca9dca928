#pragma once
// Directory entries made since their directory was last synced. POSIX makes a new name durable
// only once its directory is fsynced (fsync of the file itself does not): a power cut takes these
// names, and everything under them, away again.
//
// Removals and renames are not modelled: they are durable at once (see README.md).
#include <set>
#include <string>
#include <vector>

namespace dvsync::powerloss {

class unsynced_names {
 public:
  // Paths are as the mount sees them: "/" is its root, "/a/b" an entry b of directory /a.
  void created(std::string const& path);
  // An entry (and, for a directory, everything under it) is gone: nothing left to take away.
  void removed(std::string const& path);
  // A rename is durable at once; a name created unsynced stays unsynced under its new name.
  void renamed(std::string const& from, std::string const& to);
  // fsync of a directory: its entries are durable.
  void directory_synced(std::string const& dir);

  // What a power cut takes away, parents before their children.
  std::vector<std::string> pending() const { return {paths_.begin(), paths_.end()}; }

  static std::string parent_of(std::string const& path);

 private:
  // Removes `path` and every path under it; returns the removed paths' suffixes after `path`.
  std::vector<std::string> take_subtree(std::string const& path);

  std::set<std::string> paths_;
};

}  // namespace dvsync::powerloss
