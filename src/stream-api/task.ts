import { z } from 'zod';

export const taskSchema = z.looseObject({
  task_id: z.string(),
  status: z.string(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  result: z.looseObject({ url: z.string().optional() }).nullish(),
  error: z.looseObject({ type: z.string().optional(), description: z.string().optional() }).nullish(),
});

export type Task = z.infer<typeof taskSchema>;

export type CompletedTask = Task & { status: 'completed'; result: { url: string } };

/** A completed task's download URL; undefined for any other task, and for a completed one without a URL. */
export function downloadUrlOf(task: Task): string | undefined {
  const url = task.result?.url;
  return task.status === 'completed' && url !== undefined && url !== '' ? url : undefined;
}

export const createdTaskSchema = z.looseObject({ task_id: z.string().min(1) });
