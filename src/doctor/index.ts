export {
  runDoctor,
  formatDoctor,
  summarizeDoctor,
  doctorExitCode,
  type DoctorCheck,
  type DoctorOutcome,
  type DoctorResult,
  type DoctorStatus,
  type RunDoctorOptions,
} from './doctor.js';
export { decodeJwtPayload, tokenRoles, missingRoles } from './jwt.js';
