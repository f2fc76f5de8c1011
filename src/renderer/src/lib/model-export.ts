// A trained model of the open session as an export file (models.export), tagged with the model it came from so a
// page shows the last export beside that model only. The pages' stores call this and keep their own busy state.
import type { ExportFormat } from '../../../shared/family'
import type { Result } from '../../../shared/api'
import { getApi } from '../api'

export type ModelExport = Result<'models.export'> & { modelId: string }

/** Exports `modelId` of session `sessionId`; `missing` is the message when either is absent (nothing trained yet). */
export async function exportModelFile(sessionId: string | undefined, modelId: string | undefined, format: ExportFormat, missing: string): Promise<ModelExport> {
  if (!sessionId || !modelId) throw new Error(missing)
  const out = await getApi().call('models.export', { sessionId, modelId, format })
  return { ...out, modelId }
}
