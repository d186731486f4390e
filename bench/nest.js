/**
 * Decorators applied by hand (plain JS has no decorator syntax) and Nest application contexts.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/** `@decorators` on a method, as TypeScript's `__decorate` applies them. */
export function decorateMethod(Class, key, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(Class.prototype, key);
  const decorated = Reflect.decorate(decorators, Class.prototype, key, descriptor);
  Object.defineProperty(Class.prototype, key, decorated ?? descriptor);
}

/** `@Injectable()` plus `@Inject(token)` on each constructor parameter, in order. */
export function provider(Class, tokens = []) {
  Injectable()(Class);
  tokens.forEach((token, index) => Inject(token)(Class, undefined, index));
  return Class;
}

/** A root module class to hang a dynamic module's imports and providers on. */
export function rootModule(name) {
  const RootModule = { [name]: class {} }[name];
  Module({})(RootModule);
  return RootModule;
}

/** A real application context, initialised (providers built, lifecycle hooks run). */
export async function createApp(entry) {
  const app = await NestFactory.createApplicationContext(entry, { logger: false, abortOnError: false });
  await app.init(); // already initialised by createApplicationContext; kept explicit, it is a no-op then
  return app;
}

/** The injection token of the sink a handler reports to. */
export const SINK = Symbol('bench sink');
