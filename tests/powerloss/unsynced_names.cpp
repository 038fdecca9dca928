#include "unsynced_names.hpp"

namespace dvsync::powerloss {

std::string unsynced_names::parent_of(std::string const& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

void unsynced_names::created(std::string const& path) { paths_.insert(path); }

std::vector<std::string> unsynced_names::take_subtree(std::string const& path) {
  std::vector<std::string> suffixes;
  for (auto it = paths_.lower_bound(path); it != paths_.end();) {
    bool const same = *it == path;
    bool const under = it->size() > path.size() && it->compare(0, path.size(), path) == 0 && (*it)[path.size()] == '/';
    if (!same && !under) {
      // "/a/b" < "/a/b!" < "/a/b/": names that sort between an entry and its children are
      // neither; stop only once past every child.
      if (it->compare(0, path.size(), path) != 0) break;
      ++it;
      continue;
    }
    suffixes.push_back(it->substr(path.size()));
    it = paths_.erase(it);
  }
  return suffixes;
}

void unsynced_names::removed(std::string const& path) { take_subtree(path); }

void unsynced_names::renamed(std::string const& from, std::string const& to) {
  // Whatever `to` named before is replaced by a durable rename.
  take_subtree(to);
  for (auto const& suffix : take_subtree(from)) paths_.insert(to + suffix);
}

void unsynced_names::directory_synced(std::string const& dir) {
  for (auto it = paths_.begin(); it != paths_.end();) {
    if (parent_of(*it) == dir)
      it = paths_.erase(it);
    else
      ++it;
  }
}

}  // namespace dvsync::powerloss
