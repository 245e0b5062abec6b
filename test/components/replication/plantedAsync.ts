/**
 * Planted bug (test-only): a primary-backup store that reports success as sync but acknowledges
 * a write as soon as the primary applied it, as async does. Its mode still says "sync".
 */
import { PrimaryBackupReplication } from "../../../src/index.js";

export class AsyncReportedAsSync<V> extends PrimaryBackupReplication<V> {
  override _backupAcksNeeded(): number {
    return 0;
  }
}
