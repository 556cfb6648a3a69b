//go:build !linux

package segment

import "os"

// fileChange is the change identity of fi where the system gives one;
// elsewhere nothing beyond the size and modification time hashFile keys on.
func fileChange(os.FileInfo) [3]int64 { return [3]int64{} }
