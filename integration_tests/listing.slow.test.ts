// The listing issue's bulk import at its full size: 2,500 channels of one created_at, 1,100 of them without a
// message, of one updated_at, with members from 60 users (about 4,500 query channels requests a listing).
import { describeBulkImport } from './bulk-import.js';

describeBulkImport({ withMessage: 1_400, withoutMessage: 1_100, users: 60 });
