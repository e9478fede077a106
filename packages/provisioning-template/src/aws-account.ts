/**
 * The one emulated AWS account: its region and id, as templates see them (`AWS::Region`,
 * `AWS::AccountId`) and as every ARN the emulator hands out names them.
 */
export const EMULATED_REGION = 'us-east-1';
export const EMULATED_ACCOUNT_ID = '123456789012';
