import { compileTemplate, render, type Params, type RenderOptions } from "../../../shared/template/index.js";

/** Render a template and return the SQL. */
export function sql(src: string, params: Params = {}, options: RenderOptions = {}): string {
  return render(compileTemplate(src), params, options).sql;
}

/** Render a template that must fail; returns the error's class name, status and message. */
export function fail(src: string, params: Params = {}, options: RenderOptions = {}): { cls: string; status: number; message: string } {
  try {
    render(compileTemplate(src), params, options);
  } catch (e) {
    const err = e as Error & { status: number };
    return { cls: err.constructor.name, status: err.status, message: err.message };
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`);
}
